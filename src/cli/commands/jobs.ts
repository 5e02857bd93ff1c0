import type { Command } from "commander";
import type { RunStatus } from "../../core/status.js";
import { intFlag, sinceFlag, statusFlag } from "../flags.js";
import { isoTime, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import { openSession, type GlobalOptions } from "../session.js";
import { registerJobOperations } from "./jobs-operations.js";
import { stepJson } from "../operator-json.js";
import { runJson } from "./submit.js";

/**
 * `keel jobs list|show|cancel|retry`: runs, newest first, one run with its steps and transitions,
 * and the operator's changes to a run (in jobs-operations.ts).
 */
export function registerJobs(program: Command, global: () => GlobalOptions): void {
  const jobs = program.command("jobs").description("list, inspect, cancel and retry runs (jobs)");

  jobs
    .command("list")
    .description("list runs, newest first")
    .option(
      "--status <status>",
      "pending | running | succeeded | quarantined | cancelled",
      statusFlag,
    )
    .option("--pipeline <name>", "only this pipeline")
    .option("--since <when>", "created since: 30m, 24h, 7d or an ISO time", sinceFlag)
    .option("--limit <n>", "at most this many (default 50)", intFlag("--limit", 1, 10_000), 50)
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
          const { keel } = await openSession(g);
          try {
            const page = await keel.list({
              status: opts.status,
              pipeline: opts.pipeline,
              since: opts.since,
              limit: opts.limit,
              cursor: opts.cursor,
            });
            if (g.format === "json") {
              printJson({ runs: page.runs.map(runJson), next_cursor: page.nextCursor });
            } else {
              printTable(
                page.runs.map((r) => ({
                  id: r.id,
                  pipeline: r.pipeline,
                  status: r.status,
                  attempts: r.attempts,
                  priority: r.priority,
                  created: isoTime(r.createdAt),
                  reason: r.quarantineReason ?? r.error?.code ?? null,
                })),
                ["id", "pipeline", "status", "attempts", "priority", "created", "reason"],
              );
              if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
            }
            return ExitCode.ok;
          } finally {
            await keel.stop();
          }
        },
      ),
    );

  jobs
    .command("show")
    .description("show one run: status, steps with timings, errors, transitions")
    .argument("<id>", "run id")
    .addHelpText(
      "after",
      "\nExamples:\n  keel jobs show run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z\n  keel jobs show run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --format json",
    )
    .action(
      action(async (id: string) => {
        const g = global();
        const { keel } = await openSession(g);
        try {
          const { run, steps, transitions } = await keel.inspect(id);
          if (g.format === "json") {
            printJson({
              ...runJson(run),
              steps: steps.map(stepJson),
              transitions: transitions.map((t) => ({
                id: t.id,
                step: t.step,
                from: t.from,
                to: t.to,
                reason: t.reason,
                actor: t.actor,
                at: isoTime(t.at),
                details: t.details,
              })),
            });
            return ExitCode.ok;
          }
          printFields([
            ["run", run.id],
            ["pipeline", `${run.pipeline} (${run.pipelineVersion})`],
            ["status", run.status],
            ["attempts", run.attempts],
            ["trace_id", run.traceId],
            ["created", isoTime(run.createdAt)],
            ["finished", isoTime(run.finishedAt)],
            ["quarantine", run.quarantineReason],
            [
              "error",
              run.error
                ? `${run.error.code}: ${run.error.message}${run.error.step ? ` (step ${run.error.step})` : ""}`
                : null,
            ],
          ]);
          process.stdout.write("\nsteps:\n");
          printTable(
            steps.map((s) => ({
              step: s.step,
              attempt: s.attempt,
              ms: s.finishedAt - s.startedAt,
              hash: s.outputHash.slice(0, 12),
            })),
            ["step", "attempt", "ms", "hash"],
          );
          process.stdout.write("\ntransitions:\n");
          printTable(
            transitions.map((t) => ({
              at: isoTime(t.at),
              step: t.step ?? "(run)",
              change: `${t.from ?? "-"} -> ${t.to}`,
              reason: t.reason,
              actor: t.actor,
            })),
            ["at", "step", "change", "reason", "actor"],
          );
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
      }),
    );

  registerJobOperations(jobs, global);
}
