import type { Command } from "commander";
import { health as healthOp, status as statusOp } from "../../api/operations/node.js";
import type { healthJson } from "../../api/wire/health.js";
import { healthComponents, isHealthComponent } from "../../ops/health/index.js";
import { UsageError, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { withClient } from "../client.js";

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
        const report = (await withClient(
          g,
          (client) => client.call(statusOp, { query: { verbose: Boolean(opts.verbose) } }),
          { readOnly: true },
        )) as StatusJson;
        if (g.format === "json") printJson(report);
        else printStatus(report, Boolean(opts.verbose));
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
  const report = await withClient(
    g,
    (client) => client.call(healthOp, { query: { component, verbose } }),
    { readOnly: true },
  );
  printHealth(g.format, report, verbose);
  return report.status === "healthy" ? 0 : report.status === "degraded" ? 1 : 2;
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
}

function seconds(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : `${(ms / 1000).toFixed(1)} s`;
}

function printStatus(report: StatusJson, verbose: boolean): void {
  const node = report.node;
  process.stdout.write(
    node.running
      ? `node running: pid ${node.pid}${node.node_id ? `, node ${node.node_id}` : ""}${node.uptime_ms !== null ? `, up ${seconds(node.uptime_ms)}` : ""}\n`
      : `no node running for ${report.home}\n`,
  );
  const w = report.workers;
  process.stdout.write(
    w
      ? `workers: ${w.busy} busy, ${w.idle} idle of ${w.limit}${w.claimed_ahead ? `, ${w.claimed_ahead} runs claimed ahead` : ""} (up ${seconds(w.uptime_ms)})\n`
      : "workers: - (no node answers)\n",
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
