import { InvalidArgumentError, type Command } from "commander";
import type { FailuresJson, LatencyJson } from "../../ops/telemetry.js";
import * as ops from "../../api/operations/telemetry.js";
import type { Operation } from "../../api/operation.js";
import { withClient } from "../client.js";
import {
  telemetryBuckets,
  type TelemetryBucket,
  type ThroughputJson,
} from "../../ops/telemetry-throughput.js";
import { intFlag, sinceFlag, sinceQuery, textFlag } from "../flags.js";
import { printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel telemetry throughput|failures|latency|clean`: the per-minute rollups every node of the
 * store writes, summed over a range. Reads the store directly, so it works with no node running.
 */
interface ReportFlags {
  since?: number;
  pipeline?: string;
  bucket?: TelemetryBucket;
}

export function registerTelemetry(program: Command, global: () => GlobalOptions): void {
  const telemetry = program
    .command("telemetry")
    .description("throughput, failures and step latency from the per-minute rollups; clean them");

  report(
    telemetry,
    global,
    "throughput",
    "runs that ended (by status) and bytes, per minute or hour and pipeline: rates averaged over the bucket and while runs were in flight (*_per_s_while_active)",
    "keel telemetry throughput --since 24h --bucket hour",
    ops.throughput,
    printThroughput,
  ).option(
    "--bucket <size>",
    "minute | hour | day (default: minute up to 3h, else hour)",
    bucketFlag,
  );
  report(
    telemetry,
    global,
    "failures",
    "failed step attempts by pipeline, step and error code; quarantined runs by reason",
    "keel telemetry failures --since 7d --pipeline ingest",
    ops.failures,
    printFailures,
  );
  report(
    telemetry,
    global,
    "latency",
    "step latency per pipeline and step: count, avg, p50, p95, p99, max",
    "keel telemetry latency --since 30m",
    ops.latency,
    printLatency,
  );

  telemetry
    .command("clean")
    .description(
      "delete rollups older than N days (nodes also do it, see telemetry.retention_days)",
    )
    .requiredOption(
      "--older-than-days <n>",
      "rollups of minutes more than N days ago",
      intFlag("--older-than-days", 1, 36_500),
    )
    .option("--dry-run", "count what would be deleted; delete nothing")
    .addHelpText(
      "after",
      `
Examples:
  keel telemetry clean --older-than-days 90 --dry-run
  keel telemetry clean --older-than-days 90

A clean is written to the audit log (telemetry.clean). Exit codes: 0 done; 2 bad flags.`,
    )
    .action(
      action(async (opts: { olderThanDays: number; dryRun?: boolean }) => {
        const g = global();
        const result = await withClient(g, (client) =>
          client.call(ops.clean, {
            body: { older_than_days: opts.olderThanDays, dry_run: Boolean(opts.dryRun) },
          }),
        );
        if (g.format === "json") printJson(result);
        else
          process.stdout.write(
            `${result.dry_run ? "would delete" : "deleted"} ${result.rows} rollup row(s) of ${result.minutes} minute(s) before ${result.before}\n`,
          );
        return ExitCode.ok;
      }),
    );
}

/** One report subcommand: shared flags, the session, JSON as the ops function returns it. */
function report<T>(
  parent: Command,
  global: () => GlobalOptions,
  name: string,
  description: string,
  example: string,
  op: Operation<unknown, unknown, unknown, T>,
  table: (doc: T) => void,
): Command {
  return parent
    .command(name)
    .description(description)
    .option("--since <when>", "from: 30m, 24h, 7d or an ISO time (default 1h)", sinceFlag)
    .option("--pipeline <name>", "only this pipeline", textFlag("--pipeline", "ingest"))
    .addHelpText(
      "after",
      `
Examples:
  keel telemetry ${name}
  ${example}
  keel telemetry ${name} --format json

Counts reach the store within telemetry.flush_ms (default 5 s) of happening. Exit codes: 0 ok;
2 bad flags.`,
    )
    .action(
      action(async (flags: ReportFlags) => {
        const g = global();
        const doc = await withClient(g, (client) =>
          client.call(op, {
            query: {
              since: sinceQuery(flags.since),
              pipeline: flags.pipeline,
              bucket: flags.bucket,
            },
          }),
        );
        if (g.format === "json") printJson(doc);
        else table(doc);
        return ExitCode.ok;
      }),
    );
}

function bucketFlag(value: string): TelemetryBucket {
  if (!(telemetryBuckets as readonly string[]).includes(value))
    throw new InvalidArgumentError(
      `--bucket must be one of ${telemetryBuckets.join(", ")}, got "${value}"`,
    );
  return value as TelemetryBucket;
}

function heading(doc: { since: string; until: string }, extra = ""): void {
  process.stdout.write(`from ${doc.since} to ${doc.until}${extra}\n`);
}

function printThroughput(doc: ThroughputJson): void {
  heading(doc, `, by ${doc.bucket}`);
  // the plain average over the bucket, then the rate over the time runs were in flight
  const columns = [
    "succeeded",
    "quarantined",
    "cancelled",
    "runs_per_s",
    "bytes",
    "bytes_per_s",
    "active_s",
    "bytes_per_s_while_active",
  ];
  const flat = (row: ThroughputJson["totals"][number]) => ({ ...row, ...row.runs });
  printTable(doc.series.map(flat), ["start", "pipeline", ...columns]);
  process.stdout.write("\ntotals:\n");
  printTable(doc.totals.map(flat), ["pipeline", ...columns, "source_bytes"]);
}

function printFailures(doc: FailuresJson): void {
  heading(doc);
  process.stdout.write("failed step attempts:\n");
  printTable(doc.failures, ["pipeline", "step", "code", "count"]);
  process.stdout.write("\nquarantined runs:\n");
  printTable(doc.quarantines, ["pipeline", "reason", "count"]);
}

function printLatency(doc: LatencyJson): void {
  heading(doc);
  printTable(doc.steps, [
    "pipeline",
    "step",
    "count",
    "avg_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
  ]);
}
