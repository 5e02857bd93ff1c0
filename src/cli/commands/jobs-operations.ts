import type { Command } from "commander";
import { cancelRun, retryRun } from "../../api/operations/runs.js";
import { withClient } from "../client.js";
import { stepFlag, textFlag } from "../flags.js";
import { UsageError, printFields, printJson } from "../output.js";
import { cancelMany } from "../../api/operations/bulk.js";
import { confirmAbove, filterFlag, filterKeys, runBulk, type BulkFlags } from "../bulk.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel jobs cancel|retry`: the operator's changes to one run, each written to the audit log. */
export function registerJobOperations(jobs: Command, global: () => GlobalOptions): void {
  jobs
    .command("cancel")
    .description(
      "cancel a pending or running run (or every run a filter selects); a running step is aborted",
    )
    .argument("[id]", "run id (or --filter)")
    .option(
      "--filter <key=value,...>",
      `select runs instead of one id: ${filterKeys.join(", ")} (repeatable)`,
      filterFlag,
    )
    .option(
      "--dry-run",
      "with --filter: list exactly which runs would be cancelled; change nothing",
    )
    .option(
      "--yes",
      `with --filter: no confirmation above ${confirmAbove} runs (needed without a terminal)`,
    )
    .requiredOption(
      "--reason <text>",
      "why (kept in the run's transitions and the audit log)",
      textFlag("--reason", "duplicate"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel jobs cancel run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --reason "duplicate of run_01JD5V0..."
  keel jobs cancel run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --reason "bad input" --format json
  keel jobs cancel --filter status=pending,pipeline=ingest --reason "bad deploy" --dry-run
  keel jobs cancel --filter pipeline=ingest --filter since=2h --reason "bad deploy" --yes
  keel jobs cancel --filter status=pending,requires=gpu --reason "no GPU node" --dry-run

A filter selects pending and running runs (status= narrows it): pipeline, reason (quarantine
reason), since (30m, 24h, an ISO time: created after), step and code (of the run's last error),
requires (what the run's next step requires, all of it: gpu, or embed+gpu) and pool.
One audit entry names every run a bulk cancel changed.

Exit codes: 0 cancelled; 1 unknown run, or it already ended (succeeded, quarantined, cancelled),
or some runs of a filter could not be cancelled, or the confirmation was declined; 2 bad flags, or
more than ${confirmAbove} runs without a terminal and without --yes.`,
    )
    .action(
      action(async (id: string | undefined, opts: { reason: string } & BulkFlags) => {
        const g = global();
        if ((id === undefined) === (opts.filter === undefined))
          throw new UsageError("give a run id or --filter, not both");
        if (opts.filter)
          return runBulk(g, cancelMany, { verb: "cancel", text: { reason: opts.reason } }, opts);
        const run = await withClient(g, (client) =>
          client.call(cancelRun, { params: { id }, body: { reason: opts.reason } }),
        );
        if (g.format === "json") printJson(run);
        else
          printFields([
            ["run", run.id],
            ["status", run.status],
            ["reason", opts.reason],
          ]);
        return ExitCode.ok;
      }),
    );

  jobs
    .command("retry")
    .description(
      "retry a quarantined, cancelled or succeeded run: from its last checkpoint, or from a step",
    )
    .argument("<id>", "run id")
    .requiredOption(
      "--note <text>",
      "what changed since it failed (kept in the audit log)",
      textFlag("--note", "dependency back up"),
    )
    .option(
      "--from-step <step>",
      "run this step and everything downstream of it again; upstream checkpoints are kept",
      stepFlag,
    )
    .option(
      "--degraded",
      "run again every step a fallback served (degraded), and everything downstream of it",
    )
    .addHelpText(
      "after",
      `
Examples:
  keel jobs retry run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --note "dependency back up"
  keel jobs retry run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --from-step segmentation --note "new segmenter deployed"
  keel jobs retry run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --degraded --note "embedding API back"

A node must be running (keel start) to execute the retried run. Exit codes: 0 retried; 1 unknown
run, or it is pending or running; 2 bad flags, --from-step names no step of the run's pipeline, or
a succeeded run has nothing to run again (no --from-step, no degraded step).`,
    )
    .action(
      action(async (id: string, opts: { note: string; fromStep?: string; degraded?: boolean }) => {
        const g = global();
        const result = await withClient(g, (client) =>
          client.call(retryRun, {
            params: { id },
            body: {
              note: opts.note,
              from_step: opts.fromStep,
              redo_degraded: Boolean(opts.degraded),
            },
          }),
        );
        if (g.format === "json") printJson(result);
        else printRetry(result.id, result.retry.from_status, result.retry.cleared, opts.note);
        return ExitCode.ok;
      }),
    );
}

export function printRetry(id: string, from: string, cleared: string[], note: string): void {
  printFields([
    ["run", id],
    ["status", `pending (was ${from})`],
    [
      "cleared",
      cleared.length > 0 ? cleared.join(", ") : "nothing: resumes after its last checkpoint",
    ],
    ["note", note],
  ]);
  process.stdout.write(`\nfollow it with: keel jobs show ${id}\n`);
}
