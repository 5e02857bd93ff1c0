import type { Command } from "commander";
import { snakeKeys, statusJson } from "../../api/wire.js";
import { loadConfig } from "../../ops/config.js";
import { diskThresholds } from "../../ops/guard-settings.js";
import {
  checkHealth,
  healthComponents,
  isHealthComponent,
  type HealthReport,
} from "../../ops/health/index.js";
import { readStatus, type StatusReport } from "../../ops/status.js";
import { resolveHome } from "../../store/open-store.js";
import { UsageError, isoTime, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel status` and `keel health`: read-only looks at this home's node and store. Health exit
 * codes: 0 healthy, 1 degraded, 2 unhealthy.
 */
export function registerStatus(program: Command, global: () => GlobalOptions): void {
  const homeOf = (g: GlobalOptions): string => resolveHome(g.home ?? loadConfig(g.config).home);
  const thresholdsOf = (g: GlobalOptions) => diskThresholds(loadConfig(g.config));

  program
    .command("status")
    .description("this home's node, the nodes and runs in the store, the registered pipelines")
    .option("--verbose", "add node capabilities, the oldest pending run and the store file")
    .addHelpText(
      "after",
      "\nExamples:\n  keel status                       is the node running, how many runs in each status\n  keel status --verbose --format json",
    )
    .action(
      action(async (opts: { verbose?: boolean }) => {
        const g = global();
        const now = Date.now();
        const report = await readStatus(homeOf(g), now);
        if (g.format === "json")
          printJson(snakeKeys(statusJson(report, Boolean(opts.verbose), now)));
        else printStatus(report, Boolean(opts.verbose), now);
        return ExitCode.ok;
      }),
    );

  const health = program
    .command("health")
    .description("health of store, node, queue and disk; exit 0 healthy, 1 degraded, 2 unhealthy")
    .option("--verbose", "add each component's figures")
    .addHelpText(
      "after",
      `\nComponents: ${healthComponents.join(", ")}\n\nExamples:\n  keel health                       overall and per component; the exit code is the verdict\n  keel health check disk --format json`,
    )
    .action(
      action(async (opts: { verbose?: boolean }) => {
        const g = global();
        const report = await checkHealth(homeOf(g), { diskThresholds: thresholdsOf(g) });
        printHealth(g.format, report, Boolean(opts.verbose));
        return exitFor(report);
      }),
    );

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
        const g = global();
        const report = await checkHealth(homeOf(g), {
          components: [component],
          diskThresholds: thresholdsOf(g),
        });
        printHealth(g.format, report, Boolean(opts.verbose));
        return exitFor(report);
      }),
    );
}

function exitFor(report: HealthReport): number {
  return report.status === "healthy" ? 0 : report.status === "degraded" ? 1 : 2;
}

function printHealth(format: "table" | "json", report: HealthReport, verbose: boolean): void {
  const components = report.components.map((c) => ({
    component: c.component,
    status: c.status,
    reason: c.reason,
    ...(verbose ? { details: c.details } : {}),
  }));
  if (format === "json") {
    printJson(
      snakeKeys({
        status: report.status,
        home: report.home,
        checkedAt: isoTime(report.checkedAt),
        components,
      }),
    );
    return;
  }
  process.stdout.write(`${report.status}\n`);
  printTable(
    components,
    verbose ? ["component", "status", "reason", "details"] : ["component", "status", "reason"],
  );
}

function seconds(ms: number | null): string | null {
  return ms === null ? null : `${(ms / 1000).toFixed(1)} s`;
}

function printStatus(report: StatusReport, verbose: boolean, now: number): void {
  const node = report.node;
  process.stdout.write(
    node.running
      ? `node running: pid ${node.pid}${node.nodeId ? `, node ${node.nodeId}` : ""}${node.uptimeMs !== null ? `, up ${seconds(node.uptimeMs)}` : ""}\n`
      : `no node running for ${report.home}\n`,
  );
  process.stdout.write("\nnodes\n");
  printTable(
    report.nodes.map((n) => ({ ...n, heartbeat: `${seconds(n.heartbeatAgeMs)} ago` })),
    verbose
      ? ["id", "host", "pid", "state", "heartbeat", "capabilities"]
      : ["id", "host", "pid", "state", "heartbeat"],
  );
  process.stdout.write("\nruns\n");
  const runs = Object.entries(report.runs).map(([status, count]) => ({ status, count }));
  printTable(runs, ["status", "count"]);
  process.stdout.write("\npipelines\n");
  printTable(report.pipelines, ["name", "version", "steps"]);
  if (verbose) {
    process.stdout.write("\n");
    printFields([
      ["store", report.store.file],
      ["store state", report.store.state],
      ["store bytes", report.store.bytes],
      [
        "oldest pending",
        report.oldestDueAt === null
          ? null
          : `due ${seconds(Math.max(0, now - report.oldestDueAt))} ago`,
      ],
    ]);
  }
}
