import type { Command } from "commander";
import { createLoginLink } from "../../api/operations/console.js";
import { KeelError } from "../../core/errors/keel-error.js";
import { withClient } from "../client.js";
import { printFields, printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel console`: the web console's address on the node running for this home, with a one-time
 * login link (an admin session; it works once, for 15 minutes, and only on that node).
 */
export function registerConsole(program: Command, global: () => GlobalOptions): void {
  program
    .command("console")
    .description("the web console's URL and a one-time admin login link for it")
    .addHelpText(
      "after",
      "\nThe link logs a browser in once, within 15 minutes, as a new admin token named\nconsole-<time> (`keel tokens list` shows it; revoke it there). Other people log in\nwith a token of their own (`keel tokens create --name ana --role viewer`).\n\nExamples:\n  keel console\n  keel console --format json\n\nSee docs/console.md.",
    )
    .action(
      action(async () => {
        const g = global();
        const link = await withClient(g, async (client) => {
          if (!client.api)
            throw new KeelError(
              "node_not_running",
              "no node runs for this home: start one with `keel start` (it serves the console), then run `keel console` again",
            );
          const issued = await client.call(createLoginLink);
          return {
            console: `${client.api.url}/`,
            login: `${client.api.url}${issued.path}`,
            expires_at: issued.expires_at,
          };
        });
        if (g.format === "json") printJson(link);
        else
          printFields([
            ["console", link.console],
            ["login", `${link.login}  (once, until ${link.expires_at})`],
          ]);
        return ExitCode.ok;
      }),
    );
}
