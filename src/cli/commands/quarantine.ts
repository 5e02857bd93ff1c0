import type { Command } from "commander";
import {
  listQuarantined,
  purgeQuarantined,
  retryQuarantinedRun,
  showQuarantinedRun,
} from "../../api/operations/quarantine.js";
import { withClient } from "../client.js";
import { intFlag, sinceFlag, sinceQuery, textFlag } from "../flags.js";
import { UsageError, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { printRetry } from "./jobs-operations.js";
import { retryMany } from "../../api/operations/bulk.js";
import { confirmAbove, filterFlag, filterKeys, runBulk, type BulkFlags } from "../bulk.js";

/** `keel quarantine list|show|retry|purge`: runs that failed for good, and what to do with them. */
export function registerQuarantine(program: Command, global: () => GlobalOptions): void {
  const quarantine = program
    .command("quarantine")
    .description("runs that failed for good: list, inspect, retry with a note, purge");

  quarantine
    .command("list")
    .description("quarantined runs, newest first")
    .option(
      "--reason <reason>",
      "only this reason: max_attempts, timeout, bad_output, poison, permanent:<code>",
      textFlag("--reason", "permanent:parse_error"),
    )
    .option("--since <when>", "created since: 30m, 24h, 7d or an ISO time", sinceFlag)
    .option("--limit <n>", "at most this many (default 50)", intFlag("--limit", 1, 1000), 50)
    .option("--cursor <id>", "continue after this run id (next_cursor of the previous page)")
    .addHelpText(
      "after",
      `
Examples:
  keel quarantine list --since 24h
  keel quarantine list --reason permanent:permission_denied --format json`,
    )
    .action(
      action(async (opts: { reason?: string; since?: number; limit: number; cursor?: string }) => {
        const g = global();
        const page = await withClient(g, (client) =>
          client.call(listQuarantined, {
            query: {
              reason: opts.reason,
              since: sinceQuery(opts.since),
              limit: opts.limit,
              cursor: opts.cursor,
            },
          }),
        );
        if (g.format === "json") {
          printJson(page);
          return ExitCode.ok;
        }
        printTable(
          page.runs.map((r) => ({
            id: r.id,
            pipeline: r.pipeline,
            reason: r.quarantine_reason,
            step: r.error?.step ?? null,
            attempts: r.attempts,
            quarantined: r.finished_at,
            error: r.error ? r.error.message.slice(0, 60) : null,
          })),
          ["id", "pipeline", "reason", "step", "attempts", "quarantined", "error"],
        );
        if (page.next_cursor) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
        return ExitCode.ok;
      }),
    );

  quarantine
    .command("show")
    .description("one quarantined run: why, every failed attempt, what a retry would run")
    .argument("<id>", "run id")
    .addHelpText(
      "after",
      "\nExamples:\n  keel quarantine show run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --format json",
    )
    .action(
      action(async (id: string) => {
        const g = global();
        const q = await withClient(g, (client) =>
          client.call(showQuarantinedRun, { params: { id } }),
        );
        if (g.format === "json") {
          printJson(q);
          return ExitCode.ok;
        }
        printFields([
          ["run", q.id],
          ["pipeline", q.pipeline],
          ["reason", q.quarantine_reason],
          ["error", q.error ? `${q.error.code}: ${q.error.message}` : null],
          ["quarantined", q.finished_at],
          ["checkpointed", q.checkpointed.join(", ") || "(none)"],
          ["a retry runs", q.to_run ? q.to_run.join(", ") : "(pipeline not known here)"],
        ]);
        process.stdout.write("\nfailed attempts:\n");
        printTable(q.failures, ["at", "step", "attempt", "code", "message"]);
        process.stdout.write(`\nretry it with: keel quarantine retry ${q.id} --note "..."\n`);
        return ExitCode.ok;
      }),
    );

  quarantine
    .command("retry")
    .description("retry a quarantined run (or every one a filter selects) from its last checkpoint")
    .argument("[id]", "run id (or --filter)")
    .option(
      "--filter <key=value,...>",
      `select quarantined runs instead of one id: ${filterKeys.join(", ")} (repeatable)`,
      filterFlag,
    )
    .option("--dry-run", "with --filter: list exactly which runs would be retried; change nothing")
    .option(
      "--yes",
      `with --filter: no confirmation above ${confirmAbove} runs (needed without a terminal)`,
    )
    .requiredOption(
      "--note <text>",
      "what was fixed (kept in the audit log)",
      textFlag("--note", "fixed the permissions"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel quarantine retry run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --note "fixed the folder's permissions"
  keel quarantine retry --filter reason=permanent:parse_error --note "parser fixed" --dry-run
  keel quarantine retry --filter code=econnreset,since=1h --note "network back" --yes

A filter (pipeline, reason, since, step, code) selects quarantined runs; a dry run lists them,
above ${confirmAbove} runs a terminal confirms (or --yes); one audit entry names every run retried.

To run steps that already succeeded again, use keel jobs retry ID --from-step STEP --note N.`,
    )
    .action(
      action(async (id: string | undefined, opts: { note: string } & BulkFlags) => {
        const g = global();
        if ((id === undefined) === (opts.filter === undefined))
          throw new UsageError("give a run id or --filter, not both");
        if (opts.filter)
          return runBulk(g, retryMany, { verb: "retry", text: { note: opts.note } }, opts);
        const result = await withClient(g, (client) =>
          client.call(retryQuarantinedRun, { params: { id }, body: { note: opts.note } }),
        );
        if (g.format === "json") printJson(result);
        else printRetry(result.id, result.retry.from_status, result.retry.cleared, opts.note);
        return ExitCode.ok;
      }),
    );

  quarantine
    .command("purge")
    .description("delete quarantined runs with their checkpoints and transitions")
    .option(
      "--older-than-days <n>",
      "only runs quarantined more than N days ago",
      intFlag("--older-than-days", 1, 36_500),
    )
    .option(
      "--reason <reason>",
      "only runs quarantined for this reason",
      textFlag("--reason", "permanent:parse_error"),
    )
    .option("--all", "every quarantined run (needed when no filter is given)")
    .option("--dry-run", "list what would be purged; delete nothing")
    .addHelpText(
      "after",
      `
Examples:
  keel quarantine purge --older-than-days 90 --dry-run
  keel quarantine purge --older-than-days 90
  keel quarantine purge --reason permanent:parse_error --dry-run
  keel quarantine purge --all

Only quarantined runs are ever purged. A purge without --older-than-days or --reason needs --all.`,
    )
    .action(
      action(
        async (opts: {
          olderThanDays?: number;
          reason?: string;
          all?: boolean;
          dryRun?: boolean;
        }) => {
          const filtered = opts.olderThanDays !== undefined || opts.reason !== undefined;
          if (!filtered && !opts.all)
            throw new UsageError(
              "quarantine purge needs --older-than-days N or --reason R, or --all to purge every quarantined run",
            );
          if (filtered && opts.all)
            throw new UsageError(
              "--all purges every quarantined run; drop it to use --older-than-days or --reason",
            );
          const g = global();
          const result = await withClient(g, (client) =>
            client.call(purgeQuarantined, {
              body: {
                older_than_days: opts.olderThanDays,
                reason: opts.reason,
                all: opts.all,
                dry_run: Boolean(opts.dryRun),
              },
            }),
          );
          if (g.format === "json") printJson(result);
          else {
            const verb = result.dry_run ? "would purge" : "purged";
            process.stdout.write(`${verb} ${result.count} quarantined run(s)\n`);
            for (const id of result.ids.slice(0, 50)) process.stdout.write(`  ${id}\n`);
            if (result.ids.length > 50)
              process.stdout.write(`  ... and ${result.ids.length - 50} more\n`);
          }
          return ExitCode.ok;
        },
      ),
    );
}
