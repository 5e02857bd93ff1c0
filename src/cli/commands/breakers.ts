import type { Command } from "commander";
import type { BreakerChangeJson, BreakerJson } from "../../api/wire/breakers.js";
import * as ops from "../../api/operations/breakers.js";
import { withClient } from "../client.js";
import { intFlag, textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel breakers list|trip|reset`: the circuit breakers of named dependencies, shared by every
 * node through the store. Trip and reset are audited (`breaker.trip`, `breaker.reset`).
 */
export function registerBreakers(program: Command, global: () => GlobalOptions): void {
  const breakers = program
    .command("breakers")
    .description("list, trip and reset the circuit breakers of named dependencies");

  breakers
    .command("list")
    .description("every breaker a node recorded: state, failures, why, and its latest changes")
    .option(
      "--history <n>",
      "state changes to show per breaker (JSON)",
      intFlag("--history", 0, 1000),
      10,
    )
    .addHelpText(
      "after",
      `
Examples:
  keel breakers list
  keel breakers list --format json --history 50

A breaker is listed once a node started with it (configured under breakers: in keel.yaml, or
used by a step), or after a trip or reset. Exit codes: 0 listed.`,
    )
    .action(
      action(async (opts: { history: number }) => {
        const { breakers: list } = await withClient(global(), (client) =>
          client.call(ops.list, { query: { history: opts.history } }),
        );
        if (global().format === "json") printJson({ breakers: list });
        else
          printTable(list.map(row), ["name", "state", "failures", "since", "next_try", "reason"]);
        return ExitCode.ok;
      }),
    );

  breakers
    .command("trip")
    .description(
      "open a breaker on every node until reset: steps using it are deferred, or fall back",
    )
    .argument("<name>", "breaker (dependency) name")
    .requiredOption(
      "--reason <text>",
      "why (kept in the breaker's history and the audit log)",
      textFlag("--reason", "vendor maintenance until 14:00"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel breakers trip embedding-api --reason "vendor maintenance until 14:00, INC-42"

Runs whose next step uses the breaker wait (no attempt spent) or are served by the step's
fallback, marked degraded. Neither probes nor trials close a tripped breaker: reset it.
Exit codes: 0 tripped; 1 unknown breaker; 2 bad flags (a missing --reason).`,
    )
    .action(
      action(async (name: string, opts: { reason: string }) =>
        show(
          global(),
          await withClient(global(), (client) =>
            client.call(ops.trip, { params: { name }, body: { reason: opts.reason } }),
          ),
        ),
      ),
    );

  breakers
    .command("reset")
    .description("close a breaker: the runs it deferred are due at once")
    .argument("<name>", "breaker (dependency) name")
    .option(
      "--note <text>",
      "what changed (kept in the breaker's history and the audit log)",
      textFlag("--note", "vendor is back"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel breakers reset embedding-api --note "vendor is back"

Exit codes: 0 reset; 1 unknown breaker; 2 bad flags.`,
    )
    .action(
      action(async (name: string, opts: { note?: string }) =>
        show(
          global(),
          await withClient(global(), (client) =>
            client.call(ops.reset, {
              params: { name },
              body: opts.note === undefined ? undefined : { note: opts.note },
            }),
          ),
        ),
      ),
    );
}

function row(b: BreakerJson): Record<string, unknown> {
  return {
    name: b.name,
    state: b.manual ? `${b.state} (tripped)` : b.state,
    // consecutive failures count only while closed: opening starts the count over
    failures: b.state === "closed" ? `${b.failures}/${b.failure_threshold}` : null,
    since: b.state === "closed" ? null : b.opened_at,
    next_try: b.state === "closed" || b.manual ? null : b.next_attempt_at,
    reason: b.reason,
  };
}

function show(g: GlobalOptions, b: BreakerChangeJson): number {
  if (g.format === "json") printJson(b);
  else
    printFields([
      ["breaker", b.name],
      ["state", b.manual ? `${b.state} (tripped: until reset)` : b.state],
      ["reason", b.reason],
      ["runs woken", b.woken],
    ]);
  return ExitCode.ok;
}
