import type { Command } from "commander";
import { listAudit } from "../../api/operations/audit.js";
import { withClient } from "../client.js";
import { intFlag, sinceFlag, sinceQuery, textFlag } from "../flags.js";
import { printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel audit list`: who changed what by hand (cancel, retry, purge...), newest first. */
export function registerAudit(program: Command, global: () => GlobalOptions): void {
  const audit = program.command("audit").description("the operators' audit log");

  audit
    .command("list")
    .description("audit entries, newest first")
    .option("--since <when>", "at or after: 30m, 24h, 7d or an ISO time", sinceFlag)
    .option(
      "--action <action>",
      "only this action: run.cancel, run.retry, quarantine.purge",
      textFlag("--action", "run.retry"),
    )
    .option("--limit <n>", "at most this many (default 50)", intFlag("--limit", 1, 1000), 50)
    .option(
      "--cursor <id>",
      "continue after this entry id (next_cursor of the previous page)",
      intFlag("--cursor", 1, Number.MAX_SAFE_INTEGER),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel audit list --since 24h
  keel audit list --action run.retry --format json`,
    )
    .action(
      action(async (opts: { since?: number; action?: string; limit: number; cursor?: number }) => {
        const g = global();
        const page = await withClient(g, (client) =>
          client.call(listAudit, {
            query: {
              since: sinceQuery(opts.since),
              action: opts.action,
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
          page.entries.map((e) => ({
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            reason: e.reason,
          })),
          ["at", "actor", "action", "target", "reason"],
        );
        if (page.next_cursor !== null) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
        return ExitCode.ok;
      }),
    );
}
