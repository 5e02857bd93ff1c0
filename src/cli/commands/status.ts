import type { Command } from "commander";
import { health as healthOp, status as statusOp } from "../../api/operations/node.js";
import type { emergencyJson } from "../../api/wire/emergency.js";
import type { healthJson } from "../../api/wire/health.js";
import { healthComponents, isHealthComponent } from "../../ops/health/index.js";
import { UsageError, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { withClient } from "../client.js";
import { emergencyStatus } from "../../api/operations/emergency.js";
import { worst, type HealthStatus } from "../../ops/health/index.js";
import { loadConfig } from "../../ops/config.js";
import { resolveHome, sqlitePathFor } from "../../store/home.js";
import { inspectStoreFile } from "../../store/files.js";
import { unansweredNodeReason, type Unanswered } from "../api-timeout.js";

/**
 * `keel status` and `keel health`: read-only looks at this home's node and store, through the
 * node's API when it runs (which adds its live workers), else on the store file, read-only.
 * Health exit codes: 0 healthy, 1 degraded, 2 unhealthy.
 */
type HealthJson = ReturnType<typeof healthJson>;
type StatusJson = Awaited<ReturnType<typeof statusOp.run>>;

export function registerStatus(program: Command, global: () => GlobalOptions): void {
  program
    .command("status")
    .description(
      "this home's node and its workers, the nodes and runs in the store, pipelines, sources",
    )
    .option("--verbose", "add node capabilities, the oldest pending run and the store file")
    .addHelpText(
      "after",
      "\nExamples:\n  keel status                       is the node running, how many runs in each status\n  keel status --verbose --format json",
    )
    .action(
      action(async (opts: { verbose?: boolean }) => {
        const g = global();
        const { report, unanswered, emergency } = await withClient(
          g,
          async (client) => ({
            report: (await client.call(statusOp, {
              query: { verbose: Boolean(opts.verbose) },
            })) as StatusJson,
            emergency: await client.call(emergencyStatus),
            unanswered: client.unanswered,
          }),
          { readOnly: true },
        );
        const store = storeState(g);
        const shown = {
          ...report,
          emergency,
          ...(unanswered ? { node_answers: false, node_unanswered_ms: unanswered.waitedMs } : {}),
        };
        if (g.format === "json") printJson(shown);
        else printStatus(shown, Boolean(opts.verbose));
        // a store that cannot be read is not a status to exit 0 on: scripts must see it
        if (store !== "ok") {
          process.stderr.write(
            `error [store_corrupt]: the store cannot be read (${store}); \`keel db check\` says more\n`,
          );
          return ExitCode.failed;
        }
        return ExitCode.ok;
      }),
    );

  const health = program
    .command("health")
    .description("health per component (listed below); exit 0 healthy, 1 degraded, 2 unhealthy")
    .option("--verbose", "add each component's figures")
    .addHelpText(
      "after",
      `\nComponents: ${healthComponents.join(", ")}\n\nExamples:\n  keel health                       overall and per component; the exit code is the verdict\n  keel health check disk --format json`,
    )
    .action(action(async (opts: { verbose?: boolean }) => checkHealth(global(), undefined, opts)));

  health
    .command("check")
    .description("check one component")
    .argument("<component>", `one of ${healthComponents.join(", ")}`)
    .option("--verbose", "add the component's figures")
    .action(
      action(async (component: string, opts: { verbose?: boolean }) => {
        if (!isHealthComponent(component))
          throw new UsageError(
            `unknown component "${component}"; components: ${healthComponents.join(", ")}`,
          );
        return checkHealth(global(), component, opts);
      }),
    );
}

async function checkHealth(
  g: GlobalOptions,
  component: string | undefined,
  opts: { verbose?: boolean },
): Promise<number> {
  const verbose = Boolean(opts.verbose);
  const { report, unanswered } = await withClient(
    g,
    async (client) => ({
      report: await client.call(healthOp, { query: { component, verbose } }),
      unanswered: client.unanswered,
    }),
    { readOnly: true },
  );
  if (unanswered) markUnanswered(report, unanswered);
  printHealth(g.format, report, verbose);
  return report.status === "healthy" ? 0 : report.status === "degraded" ? 1 : 2;
}

/** a node that does not answer is unhealthy, whatever its last heartbeat in the store says */
function markUnanswered(report: HealthJson, unanswered: Unanswered): void {
  const node = report.components.find((c) => c.component === "node");
  if (node) {
    node.status = "unhealthy";
    node.reason = unansweredNodeReason(unanswered);
    if (node.details && typeof node.details === "object")
      node.details = { ...node.details, answers: false, waited_ms: unanswered.waitedMs };
  }
  report.status = worst(report.components.map((c) => c.status as HealthStatus));
}

/** the store file's state as `keel status` judges it: "ok", or why it cannot be read */
function storeState(g: GlobalOptions): string {
  const config = loadConfig(g.config);
  const home = resolveHome(g.home ?? config.home);
  const file = sqlitePathFor({ home });
  if (file === null) return "ok";
  const state = inspectStoreFile(file);
  return state.kind === "corrupt" ? `corrupt: ${state.reason}` : "ok";
}

function printHealth(format: "table" | "json", report: HealthJson, verbose: boolean): void {
  if (format === "json") {
    printJson(report);
    return;
  }
  process.stdout.write(`${report.status}\n`);
  printTable(
    report.components,
    verbose ? ["component", "status", "reason", "details"] : ["component", "status", "reason"],
  );
  const l = report.latency;
  if (l)
    process.stdout.write(
      `\nhealth checks answered by the node (last ${l.samples}): p50 ${l.p50_ms} ms, p95 ${l.p95_ms} ms, p99 ${l.p99_ms} ms\n`,
    );
}

function seconds(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : `${(ms / 1000).toFixed(1)} s`;
}

type StatusShown = StatusJson & {
  emergency: ReturnType<typeof emergencyJson>;
  node_answers?: boolean;
  node_unanswered_ms?: number;
};

function printStatus(report: StatusShown, verbose: boolean): void {
  const node = report.node;
  process.stdout.write(
    node.running
      ? `node running: pid ${node.pid}${node.node_id ? `, node ${node.node_id}` : ""}${node.uptime_ms !== null ? `, up ${seconds(node.uptime_ms)}` : ""}\n`
      : `no node running for ${report.home}\n`,
  );
  if (report.node_answers === false)
    process.stdout.write(
      `node does not answer its API (no answer in ${seconds(report.node_unanswered_ms ?? null)}): frozen or overloaded; figures below are the store's\n`,
    );
  const e = report.emergency;
  process.stdout.write(
    e.on
      ? `emergency stop: ON since ${e.at} by ${e.actor}: ${e.reason} (no step starts; \`keel emergency off\` to resume)\n`
      : "emergency stop: off\n",
  );
  const w = report.workers;
  process.stdout.write(
    w
      ? `workers: ${w.busy} busy, ${w.idle} idle of ${w.limit}${w.claimed_ahead ? `, ${w.claimed_ahead} runs claimed ahead` : ""} (up ${seconds(w.uptime_ms)})\n`
      : "workers: - (no node answers)\n",
  );
  const r = report.retention;
  process.stdout.write(
    r
      ? `retention: succeeded ${days(r.succeeded_days)}, cancelled ${days(r.cancelled_days)}; last sweep ${r.last_sweep_at ?? "not yet"}, ${r.deleted_total} runs deleted by this node${r.last_error ? ` (last sweep stopped: ${r.last_error})` : ""}\n`
      : "retention: - (no node answers)\n",
  );
  process.stdout.write("\nnodes\n");
  printTable(
    report.nodes.map((n) => ({ ...n, heartbeat: `${seconds(n.heartbeat_age_ms)} ago` })),
    verbose
      ? ["id", "host", "pid", "state", "heartbeat", "capabilities"]
      : ["id", "host", "pid", "state", "heartbeat"],
  );
  process.stdout.write("\nruns\n");
  const runs = Object.entries(report.runs).map(([status, count]) => ({
    status,
    count,
  }));
  printTable(runs, ["status", "count"]);
  process.stdout.write("\npipelines\n");
  printTable(report.pipelines, ["name", "version", "steps"]);
  process.stdout.write("\nsources\n");
  printTable(
    report.sources.map((s) => ({
      ...s,
      state: s.paused ? "paused" : "active",
      next_tick: s.paused ? null : s.next_tick_at,
    })),
    ["name", "kind", "pipeline", "state", "next_tick"],
  );
  if (verbose) {
    const store = report.store;
    const oldest = report.oldest_pending ?? null;
    process.stdout.write("\n");
    printFields([
      ["store", store?.file],
      ["store state", store?.state],
      ["store bytes", store?.bytes],
      ["oldest pending", oldest === null ? null : `due ${seconds(oldest.age_ms)} ago`],
    ]);
    if (report.workers) printWorkerProcesses(report.workers);
  }
}

/** a retention age: `kept` for 0 (ended runs are never deleted) */
function days(n: number): string {
  return n === 0 ? "kept" : `${n} days`;
}

/** the child processes of isolated steps (docs/pipelines.md#process-isolation) */
function printWorkerProcesses(workers: NonNullable<StatusJson["workers"]>): void {
  process.stdout.write("\nworker processes\n");
  printFields([
    ["worker pids", workers.pids.length > 0 ? workers.pids.join(", ") : "none started"],
  ]);
  if (workers.processes.length > 0) {
    process.stdout.write("\n");
    printTable(workers.processes, ["pid", "state", "run_id", "step"]);
  }
}
