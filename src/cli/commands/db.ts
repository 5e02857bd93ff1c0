import type { Command } from "commander";
import { join } from "node:path";
import { loadConfig } from "../../ops/config.js";
import { backupStore } from "../../ops/db-backup.js";
import { checkStore } from "../../ops/db-check.js";
import { copyStore } from "../../ops/db-copy.js";
import { keelCommand } from "../../ops/db-files.js";
import { rebuildState } from "../../ops/db-rebuild.js";
import { restoreStore } from "../../ops/db-restore.js";
import { vacuumStore } from "../../ops/db-vacuum.js";
import { restoredTokens, type RestoredTokens } from "../../ops/db-restore-tokens.js";
import { cliActor } from "../actor.js";
import { resolveHome } from "../../store/home.js";
import {
  printBackup,
  printCheck,
  printCopy,
  printRebuild,
  printRestore,
  printVacuum,
} from "../db-report.js";
import { intFlag } from "../flags.js";
import { UsageError } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel db check|backup|restore|rebuild-state|copy|vacuum`: the store itself. These work straight
 * on the file or the server, never through a session, so they still run when the store is corrupt
 * or a node holds it. On a PostgreSQL store (KEEL_STORE / --store) backup and restore run pg_dump
 * and pg_restore.
 */
export function registerDb(program: Command, global: () => GlobalOptions): void {
  const db = program
    .command("db")
    .description("check, back up, restore, repair and vacuum the store")
    .addHelpText(
      "after",
      `
Examples:
  keel db check                          integrity and keel's invariants; exit 1 on any problem
  keel db backup                         online copy to $KEEL_HOME/backups/, keeps the newest 7
  keel stop && keel db restore ~/.keel/backups/keel-2026-01-31T02-00-00.000Z.db --yes
  keel db rebuild-state --apply          run statuses recomputed from their transitions
  keel stop && keel db copy --to postgres://keel@db1:5432/keel    this SQLite store into PostgreSQL
  KEEL_STORE=postgres://keel@db1/keel keel db backup              pg_dump to backups/keel-<time>.pgdump
  keel stop && keel db vacuum            give the space of deleted runs back to the disk

Exit codes: 0 ok, 1 failed (or problems found), 2 bad usage, 3 pg_dump/pg_restore not on PATH
(the message has the exact command to run instead).

Environment: KEEL_HOME (data folder, default ~/.keel), KEEL_STORE (a postgres:// store),
KEEL_CONFIG (config file), PGPASSWORD (read by pg_dump and pg_restore)`,
    );
  const homeOf = (g: GlobalOptions): string => resolveHome(g.home ?? loadConfig(g.config).home);

  db.command("check")
    .description(
      "check the store: SQLite integrity, migrations, rows per table, every run against its transitions, leases nobody recovered",
    )
    .action(
      action(async () => {
        const g = global();
        const result = await checkStore(homeOf(g));
        printCheck(g.format, result);
        return result.ok ? ExitCode.ok : ExitCode.failed;
      }),
    );

  db.command("backup")
    .description(
      "copy the store while it is in use; the copy is checked before it is kept (PostgreSQL: pg_dump)",
    )
    .option(
      "--to <file>",
      "write this file instead of $KEEL_HOME/backups/keel-<UTC time>.db (.pgdump for PostgreSQL)",
    )
    .option(
      "--keep <n>",
      "backups to keep in $KEEL_HOME/backups, the new one included (default 7)",
      intFlag("--keep", 1, 10_000),
      7,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keel db backup --keep 48                      hourly from cron: two days of backups\n  keel db backup --to /mnt/offsite/keel.db --format json",
    )
    .action(
      action(async (opts: { to?: string; keep: number }, command: Command) => {
        if (opts.to !== undefined && command.getOptionValueSource("keep") === "cli")
          throw new UsageError("--keep rotates $KEEL_HOME/backups; it does not apply with --to");
        const g = global();
        const result = await backupStore({ home: homeOf(g), to: opts.to, keep: opts.keep });
        printBackup(g.format, result);
        return ExitCode.ok;
      }),
    );

  db.command("restore")
    .description(
      "replace the store with a backup; the current file (PostgreSQL: schema) is kept beside it",
    )
    .argument("<file>", "the backup to restore")
    .option("--yes", "replace the store; without it, only check the file and say what would happen")
    .option(
      "--rotate-admin-token",
      "revoke the restored store's admin tokens and write a new one to $KEEL_HOME/admin.token",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keel db restore ~/.keel/backups/keel-2026-01-31T02-00-00.000Z.db        check it, say what would happen (exit 2)\n  keel stop && keel db restore ~/.keel/backups/keel-2026-01-31T02-00-00.000Z.db --yes\n  keel db restore /mnt/old-host/keel.db --yes --rotate-admin-token   into a new home: the old admin token stops working",
    )
    .action(
      action(async (file: string, opts: { yes?: boolean; rotateAdminToken?: boolean }) => {
        const g = global();
        const home = homeOf(g);
        const result = await restoreStore({ home, from: file, apply: Boolean(opts.yes) });
        const hint = `run again with --yes to replace the store: ${keelCommand(home, `db restore ${result.from} --yes${opts.rotateAdminToken ? " --rotate-admin-token" : ""}`)}`;
        const tokens = result.restored
          ? await restoredTokens(home, {
              rotate: Boolean(opts.rotateAdminToken),
              actor: cliActor(),
            })
          : undefined;
        printRestore(g.format, result, hint, tokens);
        if (tokens && g.format !== "json") {
          const note = tokenNote(home, result.from, tokens);
          if (note) process.stderr.write(`${note}\n`);
        }
        if (result.restored) return ExitCode.ok;
        if (g.format !== "json") process.stderr.write(`${hint}\n`);
        return ExitCode.usage;
      }),
    );

  db.command("rebuild-state")
    .description("recompute each run's status from its transitions; --apply writes them")
    .option("--apply", "write the rebuilt statuses (refused while a node runs)")
    .addHelpText(
      "after",
      "\nExamples:\n  keel db rebuild-state                  preview: stored and rebuilt status of each run that differs\n  keel stop && keel db rebuild-state --apply",
    )
    .action(
      action(async (opts: { apply?: boolean }) => {
        const g = global();
        const home = homeOf(g);
        const result = await rebuildState(home, { apply: Boolean(opts.apply), actor: "cli" });
        printRebuild(g.format, result);
        if (g.format !== "json" && result.diffs.length > 0)
          process.stdout.write(
            result.applied
              ? `rebuilt ${result.diffs.length} run status${result.diffs.length === 1 ? "" : "es"}; each has a rebuilt_from_transitions transition\n`
              : `preview only: \`${keelCommand(home, "db rebuild-state --apply")}\` writes these (stop the node first)\n`,
          );
        return ExitCode.ok;
      }),
    );

  db.command("copy")
    .description(
      "copy this SQLite store into an empty PostgreSQL schema, verified by row counts and hashes",
    )
    .requiredOption("--to <url>", "postgres://user@host:5432/database[?schema=keel]")
    .option("--replace", "delete the rows of a target schema that already holds a store first")
    .addHelpText(
      "after",
      "\nThe copy is one transaction: it commits only when every table reads back with the source's row count\nand content hash, so a failed copy leaves the target as it was and running it again is safe.\nThe old host's node processes and its alert evaluator's lease are not copied.\n\nExamples:\n  keel stop && keel db copy --to postgres://keel@db1:5432/keel\n  keel db copy --to 'postgres://keel@db1/keel?schema=keel_prod' --format json\n  keel db copy --to postgres://keel@db1/keel --replace     the schema's old rows are deleted first",
    )
    .action(
      action(async (opts: { to: string; replace?: boolean }) => {
        const g = global();
        const result = await copyStore({
          home: homeOf(g),
          to: opts.to,
          replace: Boolean(opts.replace),
        });
        printCopy(g.format, result);
        return ExitCode.ok;
      }),
    );

  db.command("vacuum")
    .description(
      "give the space of deleted runs back: SQLite VACUUM and WAL truncate (refused while a node runs), PostgreSQL VACUUM (ANALYZE)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keel stop && keel db vacuum            SQLite: rewrite the file without its free pages\n  keel db vacuum --format json           size before and after, tables, time taken\n\nSQLite needs free disk space for a copy of the file; PostgreSQL runs beside nodes.",
    )
    .action(
      action(async () => {
        const g = global();
        printVacuum(g.format, await vacuumStore(homeOf(g)));
        return ExitCode.ok;
      }),
    );
}

/** what a restore did, or did not do, to the API tokens the restored store brought along */
function tokenNote(home: string, from: string, t: RestoredTokens): string | null {
  if (t.rotatedTo !== null)
    return `admin token rotated: revoked ${t.revoked.length > 0 ? t.revoked.join(", ") : "none"}; the new admin token (${t.rotatedTo}) is in ${join(home, "admin.token")}`;
  if (t.foreignAdmin.length === 0) return null;
  const ids = t.foreignAdmin.map((a) => a.id).join(", ");
  return `note: the restored store keeps its API tokens (${t.live} live), among them admin token ${ids}, which is not this home's admin.token: whoever holds the old home's admin.token can still use this node's API. To revoke it and make a new one: ${keelCommand(home, `db restore ${from} --yes --rotate-admin-token`)} (or \`keel tokens revoke ${t.foreignAdmin[0]?.id}\`)`;
}
