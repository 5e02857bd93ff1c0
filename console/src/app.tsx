import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError, call, loadSession, saveSession, type Role, type Session } from "./api.js";
import { Console, roleAllows, type ConsoleContext } from "./context.js";
import { followEvents, type LiveState } from "./live.js";
import { useRoute } from "./router.js";
import { Audit } from "./pages/audit.js";
import { Breakers } from "./pages/breakers.js";
import { Login } from "./pages/login.js";
import { Overview } from "./pages/overview.js";
import { Quarantine } from "./pages/quarantine.js";
import { Run } from "./pages/run.js";
import { Runs } from "./pages/runs.js";
import { Sources } from "./pages/sources.js";
import { Tokens } from "./pages/tokens.js";
import type { TransitionJson } from "./wire.js";

const pages: { path: string; label: string; need?: Role }[] = [
  { path: "/", label: "Overview" },
  { path: "/runs", label: "Runs" },
  { path: "/quarantine", label: "Quarantine" },
  { path: "/sources", label: "Sources" },
  { path: "/breakers", label: "Breakers" },
  { path: "/audit", label: "Audit log" },
  { path: "/tokens", label: "Tokens", need: "admin" },
];

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(loadSession);
  const [note, setNote] = useState<string | null>(null);
  const login = (s: Session): void => {
    saveSession(s);
    setNote(null);
    setSession(s);
  };
  const logout = useCallback((why: string | null) => {
    saveSession(null);
    setNote(why);
    setSession(null);
  }, []);
  if (!session)
    return (
      <Login
        code={route.path === "/login" ? route.params.get("code") : null}
        note={note}
        onLogin={login}
      />
    );
  // a login link opened while logged in: the session stays, the code leaves the address bar
  if (route.path === "/login") history.replaceState(null, "", "#/");
  return <Shell session={session} logout={logout} />;
}

function Shell({ session, logout }: { session: Session; logout: (why: string | null) => void }) {
  const route = useRoute();
  const [liveState, setLiveState] = useState<LiveState>("connecting");
  const [liveVersion, setLiveVersion] = useState(0);
  const [message, setMessage] = useState("");
  const listeners = useRef(new Set<(t: TransitionJson) => void>());
  const toastTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return followEvents({
      token: session.token,
      onState: setLiveState,
      onRefused: () => logout("the node refused this token (revoked?); log in again"),
      onTransition: (t) => {
        for (const fn of listeners.current) fn(t);
        // a burst of transitions makes one refresh of the page, not one per transition
        if (timer === undefined)
          timer = setTimeout(() => {
            timer = undefined;
            setLiveVersion((v) => v + 1);
          }, 300);
      },
    });
  }, [session.token]);
  const ctx = useMemo<ConsoleContext>(() => {
    const guarded = async <T,>(
      method: "GET" | "POST",
      path: string,
      body?: unknown,
    ): Promise<T> => {
      try {
        return await call<T>(session.token, method, path, body);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) logout(`${e.message}; log in again`);
        throw e;
      }
    };
    return {
      session,
      get: (path) => guarded("GET", path),
      post: (path, body) => guarded("POST", path, body ?? {}),
      can: (role) => roleAllows(session.role, role),
      liveState,
      liveVersion,
      subscribe: (fn) => {
        listeners.current.add(fn);
        return () => listeners.current.delete(fn);
      },
      announce: (text) => {
        setMessage(text);
        clearTimeout(toastTimer.current);
        toastTimer.current = setTimeout(() => setMessage(""), 5000);
      },
    };
  }, [session, liveState, liveVersion]);
  const runId = /^\/runs\/([^/]+)$/.exec(route.path)?.[1];
  return (
    <Console.Provider value={ctx}>
      <a class="skip" href="#main">
        Skip to the page
      </a>
      <header>
        <strong class="brand">keel</strong>
        <nav aria-label="pages">
          <ul>
            {pages
              .filter((p) => !p.need || roleAllows(session.role, p.need))
              .map((p) => (
                <li key={p.path}>
                  <a
                    href={`#${p.path}`}
                    aria-current={
                      route.path === p.path ||
                      (p.path !== "/" && route.path.startsWith(`${p.path}/`))
                        ? "page"
                        : undefined
                    }
                  >
                    {p.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <span
          class={`live live-${liveState}`}
          role="status"
          aria-label={`live updates: ${liveState}`}
        >
          {liveState === "live" ? "● live" : liveState}
        </span>
        <span class="who">
          {session.actor} ({session.role})
        </span>
        <button type="button" onClick={() => logout(null)}>
          Log out
        </button>
      </header>
      <p class="sr-only" role="status" aria-live="polite" data-announce>
        {message}
      </p>
      {message && (
        <p class="toast" role="presentation">
          {message}
        </p>
      )}
      <main id="main" tabIndex={-1}>
        {runId ? (
          <Run id={decodeURIComponent(runId)} key={runId} />
        ) : route.path === "/runs" ? (
          <Runs route={route} />
        ) : route.path === "/quarantine" ? (
          <Quarantine route={route} />
        ) : route.path === "/sources" ? (
          <Sources />
        ) : route.path === "/breakers" ? (
          <Breakers />
        ) : route.path === "/audit" ? (
          <Audit route={route} />
        ) : route.path === "/tokens" ? (
          <Tokens />
        ) : (
          <Overview />
        )}
      </main>
    </Console.Provider>
  );
}
