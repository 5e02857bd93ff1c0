import type { Command } from "commander";
import { runLogs } from "../../api/operations/run-watch.js";
import { withClient } from "../client.js";
import { intFlag } from "../flags.js";
import { printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

const levels: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Fields every line has, shown in its prefix rather than again in its tail. */
const shown = new Set([
  "time",
  "level",
  "msg",
  "pid",
  "hostname",
  "runId",
  "traceId",
  "step",
  "attempt",
  "pipeline",
]);

/** `keel jobs logs <id>`: one run's lines from the node's log files, oldest first. */
export function registerJobLogs(jobs: Command, global: () => GlobalOptions): void {
  jobs
    .command("logs")
    .description("one run's log lines, from the node's log files (keel.log and rotated files)")
    .argument("<id>", "run id")
    .option(
      "--limit <n>",
      "at most the newest n lines (default 1000)",
      intFlag("--limit", 1, 10_000),
      1000,
    )
    .addHelpText(
      "after",
      `
Examples:
  keel jobs logs run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z
  keel jobs logs run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --format json | jq '.lines[] | select(.level >= 40)'

Reads $KEEL_HOME/logs of the node that answers (or of this machine when none runs): a run that
ran on another machine has its lines in that machine's logs. Lines at a level below log.level
(default info) were never written. Exit codes: 0 shown (even none); 1 no such run.`,
    )
    .action(
      action(async (id: string, opts: { limit: number }) => {
        const g = global();
        const logs = await withClient(g, (client) =>
          client.call(runLogs, { params: { id }, query: { limit: opts.limit } }),
        );
        if (g.format === "json") {
          printJson(logs);
          return ExitCode.ok;
        }
        if (logs.truncated)
          process.stdout.write(`(older lines left out; --limit ${opts.limit} shows the newest)\n`);
        for (const line of logs.lines) process.stdout.write(`${logLine(line)}\n`);
        if (logs.lines.length === 0)
          process.stdout.write(
            `(no lines for ${id} in ${logs.files.join(", ") || "$KEEL_HOME/logs"})\n`,
          );
        return ExitCode.ok;
      }),
    );
}

/** "2026-12-07T05:01:02.345Z INFO  [fetch#2] step attempt failed code=..." */
function logLine(line: Record<string, unknown>): string {
  const time = typeof line.time === "number" ? new Date(line.time).toISOString() : "-";
  const level = (levels[Number(line.level)] ?? String(line.level)).padEnd(5);
  const where =
    typeof line.step === "string" ? ` [${line.step}#${String(line.attempt ?? "?")}]` : "";
  const rest = Object.entries(line)
    .filter(([key]) => !shown.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${time} ${level}${where} ${String(line.msg ?? "")}${rest ? ` ${rest}` : ""}`;
}
