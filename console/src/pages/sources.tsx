import { useState } from "preact/hooks";
import { useConsole, useData } from "../context.js";
import { ago, duration, time } from "../format.js";
import { href } from "../router.js";
import { ActionButton, ActionDialog, Badge, ErrorNote, Head } from "../ui.js";

interface Source {
  name: string;
  kind: string;
  pipeline: string;
  cron: string | null;
  every_ms: number | null;
  watch: string | null;
  timezone: string | null;
  paused: boolean;
  pause_reason: string | null;
  paused_by: string | null;
  last_tick_at: string | null;
  next_tick_at: string | null;
}

/** Sources: schedule, last and next tick, pause (with a reason), resume, trigger now. */
export function Sources() {
  const { post, announce } = useConsole();
  const list = useData<{ sources: Source[] }>("/v1/sources");
  const [pausing, setPausing] = useState<string | null>(null);
  const [created, setCreated] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const act = async (name: string, what: "resume" | "trigger"): Promise<void> => {
    try {
      const result = await post<{ id?: string; run?: { id: string } }>(
        `/v1/sources/${encodeURIComponent(name)}/${what}`,
        {},
      );
      const runId = result.id ?? result.run?.id;
      if (what === "trigger" && runId) setCreated({ ...created, [name]: runId });
      announce(what === "trigger" ? `Source ${name} triggered` : `Source ${name} resumed`);
      setError(null);
      list.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const sources = list.data?.sources ?? [];
  return (
    <>
      <h1>Sources</h1>
      <ErrorNote error={error ?? list.error} />
      {list.data && sources.length === 0 && <p>No source is configured (keel.yaml `sources:`).</p>}
      <table>
        <caption class="sr-only">sources</caption>
        <Head
          cols={["Source", "Pipeline", "Schedule", "Last tick", "Next tick", "State", "Actions"]}
        />
        <tbody>
          {sources.map((s) => (
            <tr key={s.name} data-source={s.name}>
              <th scope="row">{s.name}</th>
              <td>{s.pipeline}</td>
              <td>
                {s.cron ?? (s.every_ms ? `every ${duration(s.every_ms)}` : (s.watch ?? s.kind))}
              </td>
              <td>{ago(s.last_tick_at)}</td>
              <td>{s.paused ? "paused" : time(s.next_tick_at)}</td>
              <td>
                <Badge value={s.paused ? "paused" : "active"} />
                {s.paused && ` ${s.pause_reason ?? ""} (by ${s.paused_by ?? "?"})`}
                {created[s.name] && (
                  <>
                    {" "}
                    created <a href={href(`/runs/${created[s.name]}`)}>{created[s.name]}</a>
                  </>
                )}
              </td>
              <td class="row">
                {s.paused ? (
                  <ActionButton
                    need="operator"
                    onClick={() => void act(s.name, "resume")}
                    label={`resume ${s.name}`}
                  >
                    Resume
                  </ActionButton>
                ) : (
                  <ActionButton
                    need="operator"
                    onClick={() => setPausing(s.name)}
                    label={`pause ${s.name}`}
                  >
                    Pause…
                  </ActionButton>
                )}
                <ActionButton
                  need="operator"
                  onClick={() => void act(s.name, "trigger")}
                  label={`trigger ${s.name} now`}
                >
                  Trigger now
                </ActionButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pausing && (
        <ActionDialog
          title={`Pause ${pausing}`}
          confirm="Pause: its ticks create no runs"
          fields={[{ name: "reason", label: "Reason (for the audit log)", required: true }]}
          onSubmit={async (v) => {
            await post(`/v1/sources/${encodeURIComponent(pausing)}/pause`, { reason: v.reason });
            announce(`Source ${pausing} paused`);
            list.reload();
          }}
          onClose={() => setPausing(null)}
        />
      )}
    </>
  );
}
