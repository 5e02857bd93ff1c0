import { Option, type Command } from "commander";
import { createToken, listTokens, revokeToken } from "../../api/operations/tokens.js";
import type { tokenJson } from "../../api/wire/tokens.js";
import { tokenRoles } from "../../store/tokens.js";
import { withClient } from "../client.js";
import { textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel tokens create|list|revoke`: the API's tokens (admin only over the API; on the store
 * itself when no node runs). A token's text is printed once, at creation, and never stored.
 */
type TokenJson = ReturnType<typeof tokenJson>;

export function registerTokens(program: Command, global: () => GlobalOptions): void {
  const tokens = program
    .command("tokens")
    .description("API tokens: create one with a role, list them, revoke one");

  tokens
    .command("create")
    .description("create a token; its text is shown once")
    .addOption(
      new Option("--role <role>", "viewer (reads), operator (and changes), admin (and tokens)")
        .choices(tokenRoles)
        .makeOptionMandatory(),
    )
    .requiredOption("--name <name>", "who or what uses it: 1-64 letters, digits, . _ @ -")
    .addHelpText(
      "after",
      `
Examples:
  keel tokens create --role viewer --name grafana
  keel tokens create --role operator --name ci-deploy --format json

The token's text is printed once: keep it (a secret manager, KEEL_TOKEN). Exit codes: 0 created;
1 refused (a token without the admin role); 2 bad flags.`,
    )
    .action(
      action(async (opts: { role: string; name: string }) => {
        const g = global();
        const created = await withClient(g, (client) =>
          client.call(createToken, { body: { name: opts.name, role: opts.role } }),
        );
        if (g.format === "json") {
          printJson(created);
          return ExitCode.ok;
        }
        printFields([
          ["token", created.token],
          ["id", created.id],
          ["name", created.name],
          ["role", created.role],
        ]);
        process.stdout.write(
          "\nThis token is shown only once: store it now. Use it with --token or KEEL_TOKEN;\n" +
            `revoke it with: keel tokens revoke ${created.id}\n`,
        );
        return ExitCode.ok;
      }),
    );

  tokens
    .command("list")
    .description("every token, revoked ones too (never their text)")
    .addHelpText("after", "\nExamples:\n  keel tokens list\n  keel tokens list --format json")
    .action(
      action(async () => {
        const g = global();
        const list = await withClient(g, (client) => client.call(listTokens));
        if (g.format === "json") printJson(list);
        else
          printTable(
            list.tokens.map((t) => ({
              id: t.id,
              name: t.name,
              role: t.role,
              state: t.revoked ? "revoked" : "active",
              created: t.created_at,
              created_by: t.created_by,
              last_used: t.last_used_at,
            })),
            ["id", "name", "role", "state", "created", "created_by", "last_used"],
          );
        return ExitCode.ok;
      }),
    );

  tokens
    .command("revoke")
    .description("revoke a token: it never authenticates again")
    .argument("<id>", "the token's id (tokens list; the 12 hex digits after keel_)")
    .option("--reason <text>", "why (kept in the audit log)", textFlag("--reason", "laptop lost"))
    .addHelpText(
      "after",
      `
Examples:
  keel tokens revoke 3f9a0c1b2d4e --reason "laptop lost"

Exit codes: 0 revoked; 1 unknown token; 2 bad flags.`,
    )
    .action(
      action(async (id: string, opts: { reason?: string }) => {
        const g = global();
        const token: TokenJson = await withClient(g, (client) =>
          client.call(revokeToken, {
            params: { id },
            body: opts.reason === undefined ? undefined : { reason: opts.reason },
          }),
        );
        if (g.format === "json") printJson(token);
        else
          printFields([
            ["token", token.id],
            ["name", token.name],
            ["state", token.revoked ? "revoked" : "active"],
            ["revoked_by", token.revoked_by],
          ]);
        return ExitCode.ok;
      }),
    );
}
