import type { Command } from "commander";
import {
  listQuarantine,
  purgeQuarantine,
  retryQuarantined,
  showQuarantined,
} from "../../ops/run-operations.js";
import { cliActor } from "../actor.js";
import { intFlag, sinceFlag, textFlag } from "../flags.js";
import { purgeJson, quarantinedJson, retryJson } from "../../api/wire.js";
import { UsageError, isoTime, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import { openSession, type GlobalOptions } from "../session.js";
import { printRetry } from "./jobs-operations.js";
import { runJson } from "../../api/wire.js";

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
    .option("--limit <n>", "at most this many (default 50)", intFlag("--limit", 1, 10_000), 50)
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
        const { keel } = await openSession(g);
        try {
          const page = await listQuarantine(keel, opts);
          if (g.format === "json") {
            printJson({ runs: page.runs.map(runJson), next_cursor: page.nextCursor });
            return ExitCode.ok;
          }
          printTable(
            page.runs.map((r) => ({
              id: r.id,
              pipeline: r.pipeline,
              reason: r.quarantineReason,
              step: r.error?.step ?? null,
              attempts: r.attempts,
              quarantined: isoTime(r.finishedAt),
              error: r.error ? r.error.message.slice(0, 60) : null,
            })),
            ["id", "pipeline", "reason", "step", "attempts", "quarantined", "error"],
          );
          if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
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
        const { keel } = await openSession(g);
        try {
          const q = await showQuarantined(keel, id);
          if (g.format === "json") {
            printJson(quarantinedJson(q));
            return ExitCode.ok;
          }
          printFields([
            ["run", q.run.id],
            ["pipeline", q.run.pipeline],
            ["reason", q.run.quarantineReason],
            ["error", q.run.error ? `${q.run.error.code}: ${q.run.error.message}` : null],
            ["quarantined", isoTime(q.run.finishedAt)],
            ["checkpointed", q.checkpointed.join(", ") || "(none)"],
            ["a retry runs", q.toRun ? q.toRun.join(", ") : "(pipeline not known here)"],
          ]);
          process.stdout.write("\nfailed attempts:\n");
          printTable(
            q.failures.map((f) => ({ ...f, at: isoTime(f.at) })),
            ["at", "step", "attempt", "code", "message"],
          );
          process.stdout.write(`\nretry it with: keel quarantine retry ${q.run.id} --note "..."\n`);
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
      }),
    );

  quarantine
    .command("retry")
    .description("retry a quarantined run from its last checkpoint, with a note")
    .argument("<id>", "run id")
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

To run steps that already succeeded again, use keel jobs retry ID --from-step STEP --note N.`,
    )
    .action(
      action(async (id: string, opts: { note: string }) => {
        const g = global();
        const { keel } = await openSession(g);
        try {
          const result = await retryQuarantined(keel, id, opts.note, cliActor());
          if (g.format === "json") printJson(retryJson(result, undefined, opts.note));
          else printRetry(result.run.id, result.from, result.cleared, opts.note);
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
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
          const { keel } = await openSession(g);
          try {
            const result = await purgeQuarantine(keel, {
              ...opts,
              dryRun: Boolean(opts.dryRun),
              actor: cliActor(),
            });
            if (g.format === "json") printJson(purgeJson(result, opts));
            else {
              const verb = result.dryRun ? "would purge" : "purged";
              process.stdout.write(`${verb} ${result.count} quarantined run(s)\n`);
              for (const id of result.ids.slice(0, 50)) process.stdout.write(`  ${id}\n`);
              if (result.ids.length > 50)
                process.stdout.write(`  ... and ${result.ids.length - 50} more\n`);
            }
            return ExitCode.ok;
          } finally {
            await keel.stop();
          }
        },
      ),
    );
}
