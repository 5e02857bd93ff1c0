import type { Command } from "commander";
import type { RunStatus } from "../../core/status.js";
import { intFlag, sinceFlag, sinceQuery, statusFlag } from "../flags.js";
import { printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { withClient } from "../client.js";
import { listRuns } from "../../api/operations/runs.js";
import { registerJobLogs } from "./jobs-logs.js";
import { registerJobShow } from "./jobs-show.js";
import { registerJobOperations } from "./jobs-operations.js";

/**
 * `keel jobs list|show|cancel|retry`: runs, newest first, one run with its steps and transitions,
 * and the operator's changes to a run (in jobs-operations.ts).
 */
export function registerJobs(program: Command, global: () => GlobalOptions): void {
  const jobs = program
    .command("jobs")
    .description("list, inspect, cancel and retry runs (jobs), and read their logs");

  jobs
    .command("list")
    .description("list runs, newest first")
    .option(
      "--status <status>",
      "pending | running | succeeded | quarantined | cancelled",
      statusFlag,
    )
    .option("--pipeline <name>", "only this pipeline")
    .option(
      "--since <when>",
      "created since: 30m, 24h, 7d (at most 36500d) or an ISO time",
      sinceFlag,
    )
    .option("--limit <n>", "at most this many (default 50)", intFlag("--limit", 1, 1000), 50)
    .option("--cursor <id>", "continue after this run id (next_cursor of the previous page)")
    .addHelpText(
      "after",
      "\nExamples:\n  keel jobs list --status quarantined --since 24h\n  keel jobs list --pipeline document-analysis --limit 10 --format json",
    )
    .action(
      action(
        async (opts: {
          status?: RunStatus;
          pipeline?: string;
          since?: number;
          limit: number;
          cursor?: string;
        }) => {
          const g = global();
          const page = await withClient(g, (client) =>
            client.call(listRuns, {
              query: {
                status: opts.status,
                pipeline: opts.pipeline,
                since: sinceQuery(opts.since),
                limit: opts.limit,
                cursor: opts.cursor,
              },
            }),
          );
          if (g.format === "json") printJson(page);
          else {
            printTable(
              page.runs.map((r) => ({
                id: r.id,
                pipeline: r.pipeline,
                status: r.status,
                attempts: r.attempts,
                priority: r.priority,
                created: r.created_at,
                reason: r.quarantine_reason ?? r.error?.code ?? null,
              })),
              ["id", "pipeline", "status", "attempts", "priority", "created", "reason"],
            );
            if (page.next_cursor) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
          }
          return ExitCode.ok;
        },
      ),
    );

  registerJobShow(jobs, global);
  registerJobLogs(jobs, global);
  registerJobOperations(jobs, global);
}
