import { InvalidArgumentError, type Command } from "commander";
import { parseDurationMs } from "../../core/duration.js";
import {
  drainNode,
  forgetNode,
  listNodes,
  showNode,
  undrainNode,
} from "../../api/operations/nodes.js";
import type { nodeJson } from "../../api/wire/nodes.js";
import { withClient } from "../client.js";
import { textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { registerNodeTokens } from "./node-tokens.js";

/**
 * `keel nodes list|show|drain|undrain|forget` and `keel nodes token ...`: the cluster's nodes,
 * through any node's API (or on the store itself when none answers here).
 */
type NodeJson = ReturnType<typeof nodeJson>;

function durationFlag(value: string): number {
  try {
    return parseDurationMs(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function printNode(g: GlobalOptions, node: NodeJson): void {
  if (g.format === "json") {
    printJson(node);
    return;
  }
  printFields([
    ["id", node.id],
    ["status", node.status + (node.late ? " (heartbeat late)" : "")],
    ["host", node.host],
    ["pid", node.pid],
    ["version", node.version],
    ["capabilities", node.capabilities.join(",") || "-"],
    [
      "pools",
      Object.entries(node.pools)
        .map(([p, s]) => `${p}=${s}`)
        .join(",") || "-",
    ],
    ["slots", node.slots],
    ["heartbeat", `${node.heartbeat_at} (${Math.round(node.heartbeat_age_ms / 100) / 10} s ago)`],
    ["last progress", node.last_progress_at ?? "-"],
    ["blocked", node.blocked ?? "-"],
    ["drain deadline", node.drain_deadline ?? "-"],
    ["join token", node.join_token ?? "-"],
  ]);
}

export function registerNodes(program: Command, global: () => GlobalOptions): void {
  const nodes = program
    .command("nodes")
    .description("the cluster's nodes: list, show, drain, undrain, forget; join tokens");

  nodes
    .command("list")
    .description("every node: status (online, draining, offline, gone), heartbeat, capabilities")
    .addHelpText("after", "\nExamples:\n  keel nodes list\n  keel nodes list --format json")
    .action(
      action(async () => {
        const g = global();
        const list = await withClient(g, (client) => client.call(listNodes), { readOnly: true });
        if (g.format === "json") printJson(list);
        else
          printTable(
            list.nodes.map((n) => ({
              id: n.id,
              status: n.status + (n.late ? " (late)" : "") + (n.blocked ? ` (${n.blocked})` : ""),
              host: n.host,
              pid: n.pid,
              heartbeat: `${Math.round(n.heartbeat_age_ms / 100) / 10} s ago`,
              capabilities: n.capabilities.join(",") || "-",
              pools:
                Object.entries(n.pools)
                  .map(([p, s]) => `${p}=${s}`)
                  .join(",") || "-",
              slots: n.slots,
            })),
            ["id", "status", "host", "pid", "heartbeat", "capabilities", "pools", "slots"],
          );
        return ExitCode.ok;
      }),
    );

  nodes
    .command("show")
    .description("one node")
    .argument("<id>", "the node's id (nodes list)")
    .addHelpText(
      "after",
      "\nExamples:\n  keel nodes show gpu-1-4242-x1y2\n\nExit codes: 0 shown; 1 unknown node.",
    )
    .action(
      action(async (id: string) => {
        const g = global();
        printNode(
          g,
          await withClient(g, (c) => c.call(showNode, { params: { id } }), { readOnly: true }),
        );
        return ExitCode.ok;
      }),
    );

  nodes
    .command("drain")
    .description("the node finishes its runs in flight and claims nothing new")
    .argument("<id>", "the node's id (nodes list)")
    .option(
      "--timeout <duration>",
      "then give its remaining runs back to pending (e.g. 60s, 10m)",
      durationFlag,
    )
    .option(
      "--reason <text>",
      "why (kept in the audit log)",
      textFlag("--reason", "kernel upgrade"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel nodes drain gpu-1-4242-x1y2 --timeout 10m --reason "driver upgrade"
  keel nodes undrain gpu-1-4242-x1y2

The node hears it at its next heartbeat (cluster.heartbeat_ms). Exit codes: 0 draining; 1 unknown node.`,
    )
    .action(
      action(async (id: string, opts: { timeout?: number; reason?: string }) => {
        const g = global();
        const node = await withClient(g, (c) =>
          c.call(drainNode, {
            params: { id },
            body: { timeout_ms: opts.timeout, reason: opts.reason },
          }),
        );
        printNode(g, node);
        return ExitCode.ok;
      }),
    );

  nodes
    .command("undrain")
    .description("the node claims work again")
    .argument("<id>", "the node's id (nodes list)")
    .addHelpText("after", "\nExamples:\n  keel nodes undrain gpu-1-4242-x1y2")
    .action(
      action(async (id: string) => {
        const g = global();
        printNode(g, await withClient(g, (c) => c.call(undrainNode, { params: { id } })));
        return ExitCode.ok;
      }),
    );

  nodes
    .command("forget")
    .description("remove an offline node's record; runs it still held go back to pending")
    .argument("<id>", "the node's id (nodes list)")
    .addHelpText(
      "after",
      `
Examples:
  keel nodes forget gpu-1-4242-x1y2

Only an offline (or gone) node: stop a live one first (keel nodes drain ID, then stop its
process). Exit codes: 0 forgotten; 1 unknown or not offline.`,
    )
    .action(
      action(async (id: string) => {
        const g = global();
        const out = await withClient(g, (c) => c.call(forgetNode, { params: { id } }));
        if (g.format === "json") printJson(out);
        else
          process.stdout.write(
            `forgot node ${out.id} (${out.host}); ${out.runs_released} run(s) back to pending\n`,
          );
        return ExitCode.ok;
      }),
    );

  registerNodeTokens(nodes, global);
}
