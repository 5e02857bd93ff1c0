import { query } from "../api.js";
import { useData } from "../context.js";
import { time } from "../format.js";
import { go, type Route } from "../router.js";
import { ErrorNote, Head } from "../ui.js";
import type { AuditEntry } from "../wire.js";

/** The audit log, newest first: who changed what, when and why; filter by action. */
export function Audit({ route }: { route: Route }) {
  const action = route.params.get("action") ?? "";
  const cursor = route.params.get("cursor") ?? "";
  const page = useData<{ entries: AuditEntry[]; next_cursor: number | null }>(
    `/v1/audit${query({ action, cursor, limit: 100 })}`,
    cursor === "",
  );
  return (
    <>
      <h1>Audit log</h1>
      <form
        class="filters"
        role="search"
        aria-label="filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          go("/audit", {
            action: String(new FormData(e.currentTarget).get("action") ?? "").trim(),
          });
        }}
      >
        <label>
          Action
          <input
            name="action"
            defaultValue={action}
            placeholder="run.cancel, breaker.trip, emergency.on…"
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={page.error} />
      <table>
        <caption class="sr-only">audit entries, newest first</caption>
        <Head cols={["When", "Who", "Action", "On", "Why"]} />
        <tbody>
          {(page.data?.entries ?? []).map((e) => (
            <tr key={e.id} data-action={e.action}>
              <td>{time(e.at)}</td>
              <td>{e.actor}</td>
              <th scope="row">{e.action}</th>
              <td>{e.target ?? "-"}</td>
              <td>{e.reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="row" aria-label="pages">
        {cursor && (
          <button type="button" onClick={() => history.back()}>
            Previous page
          </button>
        )}
        {page.data?.next_cursor && (
          <button
            type="button"
            onClick={() => go("/audit", { action, cursor: String(page.data?.next_cursor) })}
          >
            Next page
          </button>
        )}
      </nav>
    </>
  );
}
