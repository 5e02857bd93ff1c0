import { useEffect, useState } from "preact/hooks";
import { useConsole, useData } from "../context.js";
import { Dag, downstreamOf, type DagStep } from "../dag.js";
import { ago, duration, isElided, showJson, time } from "../format.js";
import { ActionButton, ActionDialog, Badge, ErrorNote, Json, Section, Head } from "../ui.js";
import type { PipelineJson, ProgressJson, RunDetailsJson, TransitionJson } from "../wire.js";

type Dialog = "cancel" | "retry" | "from" | "degraded" | null;

/** One run: its DAG coloured by step state, steps and attempts, transitions, values, actions. */
export function Run({ id }: { id: string }) {
  const { post, subscribe, announce } = useConsole();
  const run = useData<RunDetailsJson>(`/v1/runs/${encodeURIComponent(id)}`, false);
  const pipelines = useData<{ pipelines: PipelineJson[] }>("/v1/pipelines", false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [picked, setPicked] = useState<string | null>(null);
  const [, setNow] = useState(Date.now());
  // this run's transitions, live: the page follows the run without polling
  useEffect(() => subscribe((t) => t.run_id === id && run.reload()), [id]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const r = run.data;
  if (!r) return <ErrorNote error={run.error ?? (run.loading ? null : "no such run")} />;
  const shape =
    pipelines.data?.pipelines.find(
      (p) => p.name === r.pipeline && p.version === r.pipeline_version,
    ) ?? pipelines.data?.pipelines.find((p) => p.name === r.pipeline);
  const steps: DagStep[] = (shape?.steps ?? []).map((s) => ({
    name: s.name,
    after: s.after,
    state: stepState(s.name, r),
  }));
  const degraded = r.steps.some((s) => s.degraded);
  const act = async (path: string, body: unknown, message: string): Promise<void> => {
    await post(`/v1/runs/${encodeURIComponent(id)}/${path}`, body);
    announce(message);
    run.reload();
  };
  return (
    <>
      <h1>
        Run <code>{r.id}</code> <Badge value={r.status} />
      </h1>
      <p>
        {r.pipeline} (version {r.pipeline_version}), created {ago(r.created_at)} by {r.source}
        {r.quarantine_reason ? `; quarantined: ${r.quarantine_reason}` : ""}
      </p>
      <div class="row" role="toolbar" aria-label="actions on this run">
        {!r.terminal && (
          <ActionButton need="operator" danger onClick={() => setDialog("cancel")}>
            Cancel…
          </ActionButton>
        )}
        {(r.status === "quarantined" || r.status === "cancelled") && (
          <ActionButton need="operator" onClick={() => setDialog("retry")}>
            Retry…
          </ActionButton>
        )}
        {r.terminal && (
          <ActionButton need="operator" onClick={() => setDialog("from")}>
            Retry from a step…
          </ActionButton>
        )}
        {r.terminal && degraded && (
          <ActionButton need="operator" onClick={() => setDialog("degraded")}>
            Retry degraded steps…
          </ActionButton>
        )}
      </div>
      <ErrorNote error={run.error} />
      <Section title="Steps">
        {steps.length > 0 ? (
          <div class="dag-holder">
            <Dag
              steps={steps}
              selected={picked}
              onPick={(s) => {
                setPicked(s);
                if (r.terminal) setDialog("from");
              }}
            />
          </div>
        ) : (
          <p>The pipeline's graph is not known to this store.</p>
        )}
        <StepTable run={r} />
      </Section>
      {r.error && (
        <Section title="Error">
          <Json label="error" value={r.error} />
        </Section>
      )}
      <div class="grid">
        <Section title="Input">
          <pre class="json" tabIndex={0} aria-label="input">
            {showJson(r.input)}
          </pre>
        </Section>
        <Section title="Output">
          <pre class="json" tabIndex={0} aria-label="output">
            {showJson(r.output)}
          </pre>
        </Section>
      </div>
      <Section title="Transitions">
        <Transitions transitions={r.transitions} />
      </Section>
      {dialog === "cancel" && (
        <ActionDialog
          title={`Cancel ${r.id}`}
          confirm="Cancel the run"
          danger
          fields={[{ name: "reason", label: "Reason (for the audit log)", required: true }]}
          onSubmit={(v) => act("cancel", { reason: v.reason }, "Run cancelled")}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "retry" && (
        <ActionDialog
          title={`Retry ${r.id}`}
          confirm="Retry from the last checkpoint"
          fields={[{ name: "note", label: "Note (for the audit log)", required: true }]}
          onSubmit={(v) => act("retry", { note: v.note }, "Run retried")}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "from" && (
        <RetryFrom
          steps={shape?.steps ?? []}
          initial={picked}
          onSubmit={(step, note) =>
            act("retry", { note, from_step: step }, `Run retried from ${step}`)
          }
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "degraded" && (
        <ActionDialog
          title="Run the degraded steps again"
          confirm="Retry degraded steps"
          preview={
            <p>
              Steps a fallback served, and everything after them, run again:{" "}
              {r.steps
                .filter((s) => s.degraded)
                .map((s) => s.step)
                .join(", ")}
              .
            </p>
          }
          fields={[{ name: "note", label: "Note (for the audit log)", required: true }]}
          onSubmit={(v) =>
            act("retry", { note: v.note, redo_degraded: true }, "Degraded steps retried")
          }
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}

function RetryFrom(props: {
  steps: { name: string; after: string[] }[];
  initial: string | null;
  onSubmit: (step: string, note: string) => Promise<void>;
  onClose: () => void;
}) {
  const [step, setStep] = useState(props.initial ?? props.steps[0]?.name ?? "");
  const cleared = step ? downstreamOf(props.steps, step) : [];
  return (
    <ActionDialog
      title="Retry from a step"
      confirm={`Clear ${cleared.length} step(s) and retry`}
      preview={
        <>
          <label>
            From step
            <select value={step} onChange={(e) => setStep(e.currentTarget.value)}>
              {props.steps.map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <p data-preview="cleared">
            These checkpoints are cleared and their steps run again:{" "}
            <strong>{cleared.join(", ")}</strong>. The others are kept.
          </p>
        </>
      }
      fields={[{ name: "note", label: "Note (for the audit log)", required: true }]}
      onSubmit={(v) => props.onSubmit(step, v.note ?? "")}
      onClose={props.onClose}
    />
  );
}

function stepState(step: string, run: RunDetailsJson): string {
  const last = [...run.transitions].reverse().find((t) => t.step === step);
  const checkpoint = run.steps.find((s) => s.step === step);
  if (checkpoint?.degraded && last?.to === "succeeded") return "degraded";
  return last?.to ?? "pending";
}

function StepTable({ run }: { run: RunDetailsJson }) {
  return (
    <table>
      <caption class="sr-only">steps and attempts</caption>
      <Head cols={["Step", "Attempt", "Started", "Took", "Output"]} />
      <tbody>
        {run.running_steps.map((r) => (
          <tr key={`running-${r.step}`} data-step-row={r.step} data-running>
            <th scope="row">
              {r.step} <Badge value="running" />
            </th>
            <td>{r.attempt}</td>
            <td>{time(r.started_at)}</td>
            <td>running for {duration(r.elapsed_ms)}</td>
            <td>
              <Progress report={r.progress} />
            </td>
          </tr>
        ))}
        {run.steps.map((s) => (
          <tr key={s.step} data-step-row={s.step}>
            <th scope="row">
              {s.step} {s.degraded && <Badge value="degraded" />}
            </th>
            <td>{s.attempt}</td>
            <td>{time(s.started_at)}</td>
            <td>{duration(s.duration_ms)}</td>
            <td>
              {isElided(s.output) ? (
                showJson(s.output)
              ) : (
                <details>
                  <summary>{short(s.output)}</summary>
                  <pre class="json">{showJson(s.output)}</pre>
                </details>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

export function Transitions({ transitions }: { transitions: TransitionJson[] }) {
  return (
    <table>
      <caption class="sr-only">transitions, oldest first</caption>
      <Head cols={["When", "Step", "From → to", "Why", "Who"]} />
      <tbody>
        {transitions.map((t) => (
          <tr key={t.id}>
            <td>{time(t.at)}</td>
            <td>{t.step ?? "(run)"}</td>
            <td>
              {t.from ?? "-"} → {t.to}
            </td>
            <td>
              {t.reason}
              {t.details && typeof t.details === "object" && "error" in t.details
                ? `: ${JSON.stringify((t.details as { error: unknown }).error)}`
                : ""}
            </td>
            <td>{t.actor}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** a running step's last `ctx.progress({ done, total, message })` report */
function Progress({ report }: { report: ProgressJson | null }) {
  if (!report) return <>-</>;
  const { done, total, message } = report;
  const known = done !== null && total !== null && total > 0;
  return (
    <span data-progress>
      {known && (
        <progress value={done} max={total} aria-label={`${done} of ${total}`}>
          {done} of {total}
        </progress>
      )}{" "}
      {known ? `${done} of ${total}` : done !== null ? `${done} done` : ""}
      {message ? ` ${message}` : ""}
    </span>
  );
}
