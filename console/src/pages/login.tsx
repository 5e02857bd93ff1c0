import { useEffect, useState } from "preact/hooks";
import { call, type Role, type Session } from "../api.js";
import { ErrorNote } from "../ui.js";

/**
 * Log in with an API token (`keel tokens create`), or with a one-time link (`keel console`, the
 * `npm start` banner) whose code the node trades once for a token of this browser's own.
 */
export function Login(props: {
  code: string | null;
  note: string | null;
  onLogin: (s: Session) => void;
}) {
  const [error, setError] = useState<string | null>(props.note);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!props.code) return;
    const code = props.code;
    // the code leaves the address bar and the history at once: it works only once anyway
    history.replaceState(null, "", "#/");
    setBusy(true);
    call<{ token: string; name: string; role: Role }>(null, "POST", "/v1/console/login", { code })
      .then(
        (granted) =>
          props.onLogin({
            token: granted.token,
            role: granted.role,
            actor: `token:${granted.name}/console`,
          }),
        (e: Error) => setError(e.message),
      )
      .finally(() => setBusy(false));
  }, [props.code]);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const token = String(new FormData(event.target as HTMLFormElement).get("token") ?? "").trim();
    if (!token)
      return setError("paste a token: `keel tokens create --name <you> --role viewer` makes one");
    setBusy(true);
    try {
      const me = await call<{ actor: string; role: Role }>(token, "GET", "/v1/me");
      props.onLogin({ token, role: me.role, actor: me.actor });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>keel console</h1>
      <form onSubmit={(e) => void submit(e)} aria-describedby="login-help">
        <label>
          API token
          <input name="token" type="password" autoComplete="off" placeholder="keel_…" autoFocus />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <ErrorNote error={error} />
        <p id="login-help">
          Ask an admin for a token (<code>keel tokens create --name you --role viewer</code>), or
          run <code>keel console</code> on the node's machine for a one-time admin link. Viewers see
          everything; operators also act; admins also manage tokens.
        </p>
      </form>
    </main>
  );
}
