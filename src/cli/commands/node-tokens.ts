import type { Command } from "commander";
import {
  createJoinTokenOp,
  listJoinTokens,
  revokeJoinTokenOp,
} from "../../api/operations/nodes.js";
import { withClient } from "../client.js";
import { textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel nodes token create|list|revoke`: the tokens nodes join the cluster with (admin). */
const list = (value: string): string[] =>
  value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export function registerNodeTokens(nodes: Command, global: () => GlobalOptions): void {
  const token = nodes
    .command("token")
    .description("join tokens: create one for a set of nodes, list them, revoke one");

  token
    .command("create")
    .description("create a join token; its text is shown once")
    .requiredOption("--name <name>", "which nodes use it: 1-64 letters, digits, . _ @ -")
    .option(
      "--capabilities <list>",
      "what nodes joining with it may offer (default: anything)",
      list,
    )
    .option("--pools <list>", "which pools they may serve (default: any)", list)
    .addHelpText(
      "after",
      `
Examples:
  keel nodes token create --name gpu-pool-a --capabilities gpu,embedding --pools gpu
  KEEL_JOIN_TOKEN=keel_join_... keel start --capabilities gpu --slots gpu=2

The token's text is printed once: keep it in a secret manager. Exit codes: 0 created; 1 refused.`,
    )
    .action(
      action(async (opts: { name: string; capabilities?: string[]; pools?: string[] }) => {
        const g = global();
        const created = await withClient(g, (c) =>
          c.call(createJoinTokenOp, {
            body: { name: opts.name, capabilities: opts.capabilities, pools: opts.pools },
          }),
        );
        if (g.format === "json") {
          printJson(created);
          return ExitCode.ok;
        }
        printFields([
          ["token", created.token],
          ["id", created.id],
          ["name", created.name],
          ["capabilities", created.capabilities.join(",") || "any"],
          ["pools", created.pools.join(",") || "any"],
        ]);
        process.stdout.write(
          "\nThis token is shown only once. Start a node with it: --join-token, KEEL_JOIN_TOKEN or\n" +
            `cluster.join_token; revoke it with: keel nodes token revoke ${created.id}\n`,
        );
        return ExitCode.ok;
      }),
    );

  token
    .command("list")
    .description("every join token, revoked ones too (never their text)")
    .addHelpText("after", "\nExamples:\n  keel nodes token list --format json")
    .action(
      action(async () => {
        const g = global();
        const out = await withClient(g, (c) => c.call(listJoinTokens));
        if (g.format === "json") printJson(out);
        else
          printTable(
            out.tokens.map((t) => ({
              id: t.id,
              name: t.name,
              state: t.revoked ? "revoked" : "active",
              capabilities: t.capabilities.join(",") || "any",
              pools: t.pools.join(",") || "any",
              created: t.created_at,
              last_used: t.last_used_at,
            })),
            ["id", "name", "state", "capabilities", "pools", "created", "last_used"],
          );
        return ExitCode.ok;
      }),
    );

  token
    .command("revoke")
    .description("revoke a join token: its nodes stop claiming at their next heartbeat")
    .argument("<id>", "the token's id (nodes token list)")
    .option("--reason <text>", "why (kept in the audit log)", textFlag("--reason", "host retired"))
    .addHelpText(
      "after",
      '\nExamples:\n  keel nodes token revoke 3f9a0c1b2d4e --reason "host retired"\n\nExit codes: 0 revoked; 1 unknown token.',
    )
    .action(
      action(async (id: string, opts: { reason?: string }) => {
        const g = global();
        const t = await withClient(g, (c) =>
          c.call(revokeJoinTokenOp, {
            params: { id },
            body: opts.reason === undefined ? undefined : { reason: opts.reason },
          }),
        );
        if (g.format === "json") printJson(t);
        else
          printFields([
            ["token", t.id],
            ["name", t.name],
            ["state", t.revoked ? "revoked" : "active"],
            ["revoked_by", t.revoked_by],
          ]);
        return ExitCode.ok;
      }),
    );
}
