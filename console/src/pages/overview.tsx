import { useState } from "preact/hooks";
import { Chart } from "../chart.js";
import { useConsole, useData } from "../context.js";
import { ago, duration } from "../format.js";
import { href } from "../router.js";
import { ActionButton, ActionDialog, Badge, ErrorNote, Section, Head } from "../ui.js";
import type {
  AlertJson,
  AuditEntry,
  BreakerJson,
  EmergencyJson,
  HealthJson,
  NodeJson,
  StatusJson,
} from "../wire.js";

interface Throughput {
  series: { start: string; runs: Record<string, number>; finished: number; bytes_per_s: number }[];
}
interface Latency {
  steps: {
    pipeline: string;
    step: string;
    count: number;
    p50_ms: number;
    p95_ms: number;
    p99_ms: number;
  }[];
}
interface Failures {
  quarantines: { pipeline: string; reason: string; count: number }[];
}

export function Overview() {
  const health = useData<HealthJson>("/v1/health");
  const status = useData<StatusJson>("/v1/status?verbose=true");
  return (
    <>
      <h1>Overview</h1>
      <div class="grid">
        <Section title="Health">
          <ErrorNote error={health.error} />
          {health.data && (
            <>
              <p>
                The node is <Badge value={health.data.status} /> (checked{" "}
                {ago(health.data.checked_at)}).
              </p>
              <table>
                <Head cols={["Component", "Status", "Why"]} />
                <tbody>
                  {health.data.components.map((c) => (
                    <tr key={c.component} data-component={c.component}>
                      <th scope="row">{c.component}</th>
                      <td>
                        <Badge value={c.status} />
                      </td>
                      <td>{c.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </Section>
        <Emergency />
        <Queue status={status.data} error={status.error} />
        <Alerts />
        <Nodes />
      </div>
      <Charts />
      <div class="grid">
        <QuarantineByReason />
        <BreakersSummary />
      </div>
    </>
  );
}

function Queue({ status, error }: { status: StatusJson | null; error: string | null }) {
  return (
    <Section title="Queue and runs">
      <ErrorNote error={error} />
      {status && (
        <dl class="figures">
          {Object.entries(status.runs).map(([s, n]) => (
            <div key={s}>
              <dt>
                <a href={href("/runs", { status: s })}>{s}</a>
              </dt>
              <dd data-figure={s}>{n}</dd>
            </div>
          ))}
          <div>
            <dt>oldest due run waits</dt>
            <dd>{status.oldest_pending ? duration(status.oldest_pending.age_ms) : "none waits"}</dd>
          </div>
        </dl>
      )}
    </Section>
  );
}

function Nodes() {
  const nodes = useData<{ nodes: NodeJson[] }>("/v1/nodes");
  return (
    <Section title="Nodes">
      <ErrorNote error={nodes.error} />
      <table>
        <Head cols={["Node", "Host", "State", "Offers", "Heartbeat"]} />
        <tbody>
          {(nodes.data?.nodes ?? []).map((n) => (
            <tr key={n.id} data-node={n.id}>
              <th scope="row">{n.id}</th>
              <td>{n.host}</td>
              <td>
                <Badge value={n.status} />
                {n.blocked ? ` blocked: ${n.blocked}` : ""}
              </td>
              <td>{n.capabilities.join(", ") || "-"}</td>
              <td>
                {duration(n.heartbeat_age_ms)} ago{n.late ? " (late)" : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Alerts() {
  const alerts = useData<{ alerts: AlertJson[] }>("/v1/alerts");
  const active = (alerts.data?.alerts ?? []).filter(
    (a) => a.state === "firing" || a.state === "pending",
  );
  return (
    <Section title="Alerts">
      <ErrorNote error={alerts.error} />
      {alerts.data && active.length === 0 && <p>No alert is firing or pending.</p>}
      <ul>
        {active.map((a) => (
          <li key={a.rule} data-alert={a.rule} data-state={a.state}>
            <Badge value={a.state === "firing" ? "unhealthy" : "degraded"} />{" "}
            <strong>{a.rule}</strong> ({a.severity}, {a.state} since {ago(a.since)}):{" "}
            {a.summary ?? ""}
            {a.silence ? ` — silenced: ${a.silence.reason}` : ""}
          </li>
        ))}
      </ul>
      <p>
        Silence or test a rule with <code>keel alerts</code> (
        <a href="#/audit?action=alert.silence">silences in the audit log</a>).
      </p>
    </Section>
  );
}

function Charts() {
  const throughput = useData<Throughput>("/v1/telemetry/throughput?since=1h&bucket=minute");
  const latency = useData<Latency>("/v1/telemetry/latency?since=1h");
  const minutes = new Map<number, { ok: number; failed: number; cancelled: number }>();
  for (const s of throughput.data?.series ?? []) {
    const t = Date.parse(s.start) / 1000;
    const m = minutes.get(t) ?? { ok: 0, failed: 0, cancelled: 0 };
    m.ok += s.runs.succeeded ?? 0;
    m.failed += s.runs.quarantined ?? 0;
    m.cancelled += s.runs.cancelled ?? 0;
    minutes.set(t, m);
  }
  // every minute of the hour, a quiet one as zero: a line between two busy minutes would lie
  const last = Math.floor(Date.now() / 60_000) * 60;
  const xs = minutes.size === 0 ? [] : Array.from({ length: 60 }, (_, i) => last - (59 - i) * 60);
  const steps = (latency.data?.steps ?? []).slice(0, 24);
  return (
    <div class="grid">
      <Section title="Throughput (last hour)">
        <ErrorNote error={throughput.error} />
        {xs.length === 0 ? (
          <p>No run ended in the last hour.</p>
        ) : (
          <Chart
            title="runs ended per minute"
            unit="runs/min"
            data={[
              xs,
              xs.map((x) => minutes.get(x)?.ok ?? 0),
              xs.map((x) => minutes.get(x)?.failed ?? 0),
              xs.map((x) => minutes.get(x)?.cancelled ?? 0),
            ]}
            series={[
              { label: "succeeded", color: "#2f855a" },
              { label: "quarantined", color: "#c53030" },
              { label: "cancelled", color: "#718096" },
            ]}
          />
        )}
      </Section>
      <Section title="Step latency (last hour)">
        <ErrorNote error={latency.error} />
        {steps.length === 0 ? (
          <p>No step ran in the last hour.</p>
        ) : (
          <>
            <Chart
              title="step latency, ms"
              unit="ms"
              time={false}
              categories={steps.map((s) => s.step)}
              data={[
                steps.map((_, i) => i),
                // drawn largest first, so each smaller percentile stands in front of the larger
                steps.map((s) => s.p99_ms),
                steps.map((s) => s.p95_ms),
                steps.map((s) => s.p50_ms),
              ]}
              series={[
                { label: "p99", color: "#c53030", bars: true },
                { label: "p95", color: "#d69e2e", bars: true },
                { label: "p50", color: "#3182ce", bars: true },
              ]}
            />
            <details>
              <summary>The figures</summary>
              <table>
                <Head cols={["Pipeline", "Step", "Count", "p50", "p95", "p99"]} />
                <tbody>
                  {steps.map((s) => (
                    <tr key={`${s.pipeline}/${s.step}`}>
                      <td>{s.pipeline}</td>
                      <th scope="row">{s.step}</th>
                      <td>{s.count}</td>
                      <td>{duration(s.p50_ms)}</td>
                      <td>{duration(s.p95_ms)}</td>
                      <td>{duration(s.p99_ms)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </>
        )}
      </Section>
    </div>
  );
}

function QuarantineByReason() {
  const failures = useData<Failures>("/v1/telemetry/failures?since=7d");
  const rows = failures.data?.quarantines ?? [];
  return (
    <Section title="Quarantined in the last 7 days">
      <ErrorNote error={failures.error} />
      {rows.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {rows.map((q) => (
            <li key={`${q.pipeline}/${q.reason}`}>
              <a href={href("/quarantine", { reason: q.reason })}>{q.reason}</a> ({q.pipeline}):{" "}
              {q.count}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function BreakersSummary() {
  const breakers = useData<{ breakers: BreakerJson[] }>("/v1/breakers?history=0");
  return (
    <Section title="Breakers">
      <ErrorNote error={breakers.error} />
      <ul>
        {(breakers.data?.breakers ?? []).map((b) => (
          <li key={b.name}>
            <a href="#/breakers">{b.name}</a> <Badge value={b.state} />
            {b.reason ? ` ${b.reason}` : ""}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function Emergency() {
  const { post, announce } = useConsole();
  const state = useData<EmergencyJson>("/v1/emergency");
  const on = useData<{ entries: AuditEntry[] }>("/v1/audit?action=emergency.on&limit=5");
  const off = useData<{ entries: AuditEntry[] }>("/v1/audit?action=emergency.off&limit=5");
  const [dialog, setDialog] = useState<"on" | "off" | null>(null);
  const trail = [...(on.data?.entries ?? []), ...(off.data?.entries ?? [])].sort(
    (a, b) => b.id - a.id,
  );
  const e = state.data;
  return (
    <Section title="Emergency stop">
      <ErrorNote error={state.error} />
      {e && (
        <>
          <p data-emergency={e.on ? "on" : "off"}>
            {e.on ? (
              <>
                <Badge value="unhealthy" /> <strong>ON</strong>: no node starts a step. {e.reason}{" "}
                (by {e.actor}, {ago(e.at)})
              </>
            ) : (
              <>
                <Badge value="healthy" /> off: nodes start steps
              </>
            )}
          </p>
          {e.on ? (
            <ActionButton need="operator" onClick={() => setDialog("off")}>
              Turn the emergency stop off
            </ActionButton>
          ) : (
            <ActionButton need="operator" danger onClick={() => setDialog("on")}>
              Turn the emergency stop on
            </ActionButton>
          )}
        </>
      )}
      {trail.length > 0 && (
        <details>
          <summary>Audit trail</summary>
          <ul>
            {trail.map((t) => (
              <li key={t.id}>
                {ago(t.at)}: {t.action} by {t.actor}
                {t.reason ? `: ${t.reason}` : ""}
              </li>
            ))}
          </ul>
        </details>
      )}
      {dialog === "on" && (
        <ActionDialog
          title="Turn the emergency stop on"
          confirm="Stop every node starting steps"
          danger
          fields={[{ name: "reason", label: "Why (for the audit log)", required: true }]}
          onSubmit={async (v) => {
            await post("/v1/emergency/on", { reason: v.reason });
            announce("The emergency stop is on");
            state.reload();
            on.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "off" && (
        <ActionDialog
          title="Turn the emergency stop off"
          confirm="Let nodes start steps again"
          fields={[{ name: "reason", label: "Why it is safe again (optional)" }]}
          onSubmit={async (v) => {
            await post("/v1/emergency/off", v.reason ? { reason: v.reason } : {});
            announce("The emergency stop is off");
            state.reload();
            off.reload();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </Section>
  );
}
