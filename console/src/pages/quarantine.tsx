import { useState } from "preact/hooks";
import { query } from "../api.js";
import { useConsole, useData } from "../context.js";
import { ago } from "../format.js";
import { go, href, type Route } from "../router.js";
import { ActionButton, ActionDialog, Badge, ErrorNote, Section, Head } from "../ui.js";
import type { RunJson, RunPage } from "../wire.js";

interface Failure {
  step: string;
  attempt: number;
  code: string;
  message: string;
  at: string | null;
}
interface Quarantined extends RunJson {
  failures: Failure[];
  checkpointed: string[];
  to_run: string[] | null;
}
interface PurgePreview {
  count: number;
  ids: string[];
  dry_run: boolean;
}

const PAGE = 1000;

/** The quarantine grouped by reason; a run's failures; retry with a note; purge after a preview. */
export function Quarantine({ route }: { route: Route }) {
  const reason = route.params.get("reason") ?? "";
  const page = useData<RunPage>(`/v1/quarantine${query({ reason, limit: PAGE })}`);
  const [open, setOpen] = useState<string | null>(null);
  const [purge, setPurge] = useState(false);
  const runs = page.data?.runs ?? [];
  const groups = new Map<string, number>();
  for (const r of runs)
    groups.set(r.quarantine_reason ?? "-", (groups.get(r.quarantine_reason ?? "-") ?? 0) + 1);
  return (
    <>
      <h1>Quarantine</h1>
      <ErrorNote error={page.error} />
      <Section title="By reason">
        {groups.size === 0 ? (
          <p>The quarantine is empty.</p>
        ) : (
          <ul class="reasons">
            {[...groups.entries()]
              .sort((a, b) => b[1] - a[1])
              .map(([r, n]) => (
                <li key={r} data-reason={r}>
                  <a
                    href={href("/quarantine", { reason: r })}
                    aria-current={r === reason ? "true" : undefined}
                  >
                    {r}
                  </a>
                  : {n}
                  {page.data?.next_cursor ? "+" : ""}
                </li>
              ))}
          </ul>
        )}
        {reason && (
          <p>
            Showing reason <code>{reason}</code>. <a href="#/quarantine">Show every reason</a>
          </p>
        )}
        <ActionButton need="operator" danger onClick={() => setPurge(true)}>
          Purge…
        </ActionButton>
      </Section>
      <table>
        <caption class="sr-only">quarantined runs</caption>
        <Head cols={["Run", "Pipeline", "Reason", "Quarantined", "Actions"]} />
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <th scope="row">
                <a href={href(`/runs/${r.id}`)}>{r.id}</a>
              </th>
              <td>{r.pipeline}</td>
              <td>{r.quarantine_reason}</td>
              <td>{ago(r.finished_at)}</td>
              <td>
                <button
                  type="button"
                  onClick={() => setOpen(r.id)}
                  aria-label={`failures and retry of ${r.id}`}
                >
                  Failures…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open && <Failures id={open} onClose={() => setOpen(null)} onDone={page.reload} />}
      {purge && <Purge reason={reason} onClose={() => setPurge(false)} onDone={page.reload} />}
    </>
  );
}

function Failures(props: { id: string; onClose: () => void; onDone: () => void }) {
  const { post, announce } = useConsole();
  const q = useData<Quarantined>(`/v1/quarantine/${encodeURIComponent(props.id)}`, false);
  const [retry, setRetry] = useState(false);
  return (
    <Section title={`Failures of ${props.id}`}>
      <ErrorNote error={q.error} />
      {q.data && (
        <>
          <p>
            <Badge value={q.data.status} /> {q.data.quarantine_reason}. A retry keeps{" "}
            {q.data.checkpointed.join(", ") || "no checkpoint"} and runs{" "}
            {(q.data.to_run ?? []).join(", ") || "what is left"}.
          </p>
          <ol>
            {q.data.failures.map((f, i) => (
              <li key={i}>
                {f.step} attempt {f.attempt}: <code>{f.code}</code> {f.message} ({ago(f.at)})
              </li>
            ))}
          </ol>
          <div class="row">
            <ActionButton need="operator" onClick={() => setRetry(true)}>
              Retry…
            </ActionButton>
            <button type="button" onClick={props.onClose}>
              Close
            </button>
          </div>
        </>
      )}
      {retry && (
        <ActionDialog
          title={`Retry ${props.id}`}
          confirm="Retry from the last checkpoint"
          fields={[{ name: "note", label: "Note (for the audit log)", required: true }]}
          onSubmit={async (v) => {
            await post(`/v1/quarantine/${encodeURIComponent(props.id)}/retry`, { note: v.note });
            announce(`Run ${props.id} retried`);
            props.onDone();
            props.onClose();
            go(`/runs/${props.id}`);
          }}
          onClose={() => setRetry(false)}
        />
      )}
    </Section>
  );
}

/**
 * Purge: choose what, preview exactly which runs (a dry run), then delete those ids and no
 * others: a run quarantined after the preview is kept.
 */
function Purge(props: { reason: string; onClose: () => void; onDone: () => void }) {
  const { post, announce } = useConsole();
  const [filter, setFilter] = useState<{
    reason?: string;
    older_than_days?: number;
    all?: boolean;
  }>(props.reason ? { reason: props.reason } : { all: true });
  const [preview, setPreview] = useState<PurgePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const look = async (): Promise<void> => {
    try {
      setPreview(await post<PurgePreview>("/v1/quarantine/purge", { ...filter, dry_run: true }));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const describe = filter.all
    ? "every quarantined run"
    : [
        filter.reason && `reason ${filter.reason}`,
        filter.older_than_days !== undefined && `older than ${filter.older_than_days} days`,
      ]
        .filter(Boolean)
        .join(", ");
  return (
    <ActionDialog
      title="Purge the quarantine"
      confirm={preview ? `Delete these ${preview.count} run(s)` : "Preview first"}
      danger
      preview={
        <>
          <fieldset>
            <legend>Which runs</legend>
            <label>
              Reason (empty: any)
              <input
                value={filter.reason ?? ""}
                onInput={(e) => {
                  const reason = e.currentTarget.value.trim();
                  setFilter({
                    ...filter,
                    reason: reason || undefined,
                    all: reason || filter.older_than_days !== undefined ? undefined : true,
                  });
                  setPreview(null);
                }}
              />
            </label>
            <label>
              Quarantined more than N days ago (empty: any age)
              <input
                inputMode="decimal"
                value={filter.older_than_days ?? ""}
                onInput={(e) => {
                  const days = e.currentTarget.value.trim();
                  const n = days === "" ? undefined : Number(days);
                  setFilter({
                    ...filter,
                    older_than_days: n,
                    all: n !== undefined || filter.reason ? undefined : true,
                  });
                  setPreview(null);
                }}
              />
            </label>
          </fieldset>
          <p>Purge {describe}.</p>
          <button type="button" onClick={() => void look()}>
            Preview (dry run)
          </button>
          <ErrorNote error={error} />
          {preview && (
            <div data-preview="purge" aria-live="polite">
              <p>
                <strong>{preview.count}</strong> run(s) would be deleted with their checkpoints and
                transitions:
              </p>
              <ul class="ids">
                {preview.ids.slice(0, 200).map((id) => (
                  <li key={id}>
                    <code>{id}</code>
                  </li>
                ))}
                {preview.ids.length > 200 && <li>…and {preview.ids.length - 200} more</li>}
              </ul>
            </div>
          )}
        </>
      }
      fields={[]}
      onSubmit={async () => {
        if (!preview) {
          await look();
          throw new Error("check the preview above, then confirm");
        }
        const done = await post<PurgePreview>("/v1/quarantine/purge", {
          ...filter,
          ids: preview.ids,
          dry_run: false,
        });
        announce(`Purged ${done.count} run(s)`);
        props.onDone();
      }}
      onClose={props.onClose}
    />
  );
}
