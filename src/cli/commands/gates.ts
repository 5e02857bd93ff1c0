import type { Command } from "commander";
import { approveGate, listGates, rejectGate } from "../../api/operations/gates.js";
import type { GateJson } from "../../api/wire/gates.js";
import { age } from "../../ops/doctor/command.js";
import { withClient } from "../client.js";
import { intFlag, textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel gates list|approve|reject`: runs waiting at an approval gate for a person, and the
 * person's decision (operator role; audited as `gate.approve` / `gate.reject`).
 */
export function registerGates(program: Command, global: () => GlobalOptions): void {
  const gates = program
    .command("gates")
    .description("approval gates: the runs waiting for a person, approve, reject");

  gates
    .command("list")
    .description("runs waiting at an approval gate, the longest-waiting first")
    .option("--pipeline <name>", "only this pipeline's", textFlag("--pipeline", "publish-report"))
    .option("--limit <n>", "at most this many (default 100)", intFlag("--limit", 1, 1000), 100)
    .addHelpText(
      "after",
      `
Examples:
  keel gates list
  keel gates list --pipeline publish-report --format json

A run waiting at a gate is pending, due at the gate's timeout, and holds no worker slot; it is
not counted in the queue depth. Exit codes: 0 listed.`,
    )
    .action(
      action(async (opts: { pipeline?: string; limit: number }) => {
        const g = global();
        const { gates: list } = await withClient(g, (client) =>
          client.call(listGates, { query: { pipeline: opts.pipeline, limit: opts.limit } }),
        );
        if (g.format === "json") printJson({ gates: list });
        else
          printTable(list.map(row), [
            "run",
            "pipeline",
            "gate",
            "opened_at",
            "waiting_for",
            "timeout_at",
            "on_timeout",
          ]);
        return ExitCode.ok;
      }),
    );

  for (const verb of ["approve", "reject"] as const) {
    const op = verb === "approve" ? approveGate : rejectGate;
    gates
      .command(verb)
      .description(
        verb === "approve"
          ? "approve the gate a run waits at: the run goes on at once, the decision its input"
          : "reject the gate a run waits at: the run is quarantined as gate:<name>",
      )
      .argument("<run>", "the run's id")
      .argument("<gate>", "the gate (its step name)")
      .requiredOption(
        "--note <text>",
        "what was checked, or why not (kept with the gate and in the audit log)",
        textFlag("--note", "figures match the ledger"),
      )
      .addHelpText(
        "after",
        `
Examples:
  keel gates ${verb} run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z review --note "${verb === "approve" ? "figures match the ledger" : "totals are off by 3%"}"

Needs the operator role. Exit codes: 0 decided; 1 no such run; 2 the run is not waiting at
that gate (never reached it, already decided, or a node holds it: \`keel gates list\`), or
bad flags (a missing --note).`,
      )
      .action(
        action(async (run: string, gate: string, opts: { note: string }) => {
          const g = global();
          const decided = await withClient(g, (client) =>
            client.call(op, { params: { id: run, gate }, body: { note: opts.note } }),
          );
          if (g.format === "json") printJson(decided);
          else
            printFields([
              ["run", decided.run],
              ["gate", decided.gate],
              ["decision", decided.status],
              ["by", decided.decided_by],
              ["waited", age(decided.waiting_ms)],
              ["note", decided.note],
            ]);
          return ExitCode.ok;
        }),
      );
  }
}

function row(g: GateJson): Record<string, unknown> {
  return {
    run: g.run,
    pipeline: g.pipeline,
    gate: g.gate,
    opened_at: g.opened_at,
    waiting_for: age(g.waiting_ms),
    timeout_at: g.timeout_at,
    on_timeout: g.on_timeout,
  };
}
