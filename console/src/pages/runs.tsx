import { useState } from "preact/hooks";
import { query } from "../api.js";
import { useConsole, useData } from "../context.js";
import { ago, duration } from "../format.js";
import { go, href, type Route } from "../router.js";
import { Badge, ErrorNote, Head } from "../ui.js";
import type { PipelineJson, RunPage } from "../wire.js";

const statuses = ["", "pending", "running", "succeeded", "quarantined", "cancelled"];

/**
 * Runs, newest first, filtered on the server (status, pipeline, since) and paged by cursor, so a
 * page costs the same with a million runs in the store. The search box opens a run by its id.
 */
export function Runs({ route }: { route: Route }) {
  const { get } = useConsole();
  const status = route.params.get("status") ?? "";
  const pipeline = route.params.get("pipeline") ?? "";
  const since = route.params.get("since") ?? "";
  const cursor = route.params.get("cursor") ?? "";
  const page = useData<RunPage>(
    `/v1/runs${query({ status, pipeline, since, cursor, limit: 50 })}`,
    // live refresh only on the first page: later pages would shift under the reader
    cursor === "",
  );
  const pipelines = useData<{ pipelines: PipelineJson[] }>("/v1/pipelines", false);
  const names = [...new Set((pipelines.data?.pipelines ?? []).map((p) => p.name))].sort();
  const [searchError, setSearchError] = useState<string | null>(null);
  const set = (changes: Record<string, string>): void =>
    go("/runs", { status, pipeline, since, ...changes, cursor: changes.cursor ?? "" });
  const search = async (event: Event): Promise<void> => {
    event.preventDefault();
    const id = String(new FormData(event.target as HTMLFormElement).get("q") ?? "").trim();
    if (!id) return;
    try {
      await get(`/v1/runs/${encodeURIComponent(id)}`);
      go(`/runs/${id}`);
    } catch (e) {
      setSearchError((e as Error).message);
    }
  };
  return (
    <>
      <h1>Runs</h1>
      <form
        class="filters"
        role="search"
        aria-label="filter runs"
        onSubmit={(e) => e.preventDefault()}
      >
        <label>
          Status
          <select value={status} onChange={(e) => set({ status: e.currentTarget.value })}>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s || "any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          Pipeline
          <select value={pipeline} onChange={(e) => set({ pipeline: e.currentTarget.value })}>
            <option value="">any</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Created since
          <select value={since} onChange={(e) => set({ since: e.currentTarget.value })}>
            <option value="">any time</option>
            <option value="15m">15 minutes</option>
            <option value="1h">1 hour</option>
            <option value="24h">24 hours</option>
            <option value="7d">7 days</option>
          </select>
        </label>
      </form>
      <form
        class="filters"
        role="search"
        aria-label="open a run by id"
        onSubmit={(e) => void search(e)}
      >
        <label>
          Run id
          <input
            name="q"
            placeholder="run_01…"
            autoComplete="off"
            onInput={() => setSearchError(null)}
          />
        </label>
        <button type="submit">Open</button>
      </form>
      <ErrorNote error={searchError ?? page.error} />
      <table class="runs">
        <caption class="sr-only">runs, newest first</caption>
        <Head cols={["Run", "Pipeline", "Status", "Created", "Took", "Why"]} />
        <tbody>
          {(page.data?.runs ?? []).map((r) => (
            <tr key={r.id} data-run={r.id} data-status={r.status}>
              <th scope="row">
                <a href={href(`/runs/${r.id}`)}>{r.id}</a>
              </th>
              <td>{r.pipeline}</td>
              <td>
                <Badge value={r.status} />
              </td>
              <td>{ago(r.created_at)}</td>
              <td>
                {r.started_at && r.finished_at
                  ? duration(Date.parse(r.finished_at) - Date.parse(r.started_at))
                  : "-"}
              </td>
              <td>{r.quarantine_reason ?? r.error?.message ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.data && page.data.runs.length === 0 && <p>No run matches.</p>}
      <nav class="row" aria-label="pages">
        {cursor && (
          <button type="button" onClick={() => history.back()}>
            Previous page
          </button>
        )}
        {page.data?.next_cursor && (
          <button type="button" onClick={() => set({ cursor: page.data?.next_cursor ?? "" })}>
            Next page
          </button>
        )}
      </nav>
    </>
  );
}
