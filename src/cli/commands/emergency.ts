import type { Command } from "commander";
import { emergencyOff, emergencyOn, emergencyStatus } from "../../api/operations/emergency.js";
import type { emergencyJson } from "../../api/wire/emergency.js";
import { withClient } from "../client.js";
import { printFields, printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel emergency on|off|status`: the store-wide stop. Every node of the store stops starting
 * steps within 100 ms; steps in flight finish (or, with --abort, are aborted) and their runs go
 * back to pending untouched.
 */
export function registerEmergency(program: Command, global: () => GlobalOptions): void {
  const emergency = program
    .command("emergency")
    .description("store-wide emergency stop: no node starts a step while it is on");

  emergency
    .command("on")
    .description("turn the emergency stop on")
    .requiredOption("--reason <text>", "why, for the audit log and `status`")
    .option("--abort", "also abort steps in flight; their runs return to pending untouched")
    .addHelpText(
      "after",
      '\nExamples:\n  keel emergency on --reason "bad deploy of the parser, INC-42"\n  keel emergency on --reason "payments API double-charging" --abort',
    )
    .action(
      action(async (opts: { reason: string; abort?: boolean }) => {
        const g = global();
        const state = await withClient(g, (client) =>
          client.call(emergencyOn, { body: { reason: opts.reason, abort: Boolean(opts.abort) } }),
        );
        return show(g, state);
      }),
    );

  emergency
    .command("off")
    .description("turn the emergency stop off: nodes resume at once")
    .option("--reason <text>", "why it is safe again (audit log)")
    .addHelpText("after", '\nExamples:\n  keel emergency off --reason "parser rolled back"')
    .action(
      action(async (opts: { reason?: string }) => {
        const g = global();
        const { before, state } = await withClient(g, async (client) => ({
          before: await client.call(emergencyStatus),
          state: await client.call(emergencyOff, {
            body: opts.reason === undefined ? undefined : { reason: opts.reason },
          }),
        }));
        if (!before.on)
          process.stderr.write(
            `the emergency stop is already off${before.at ? ` (since ${before.at}, by ${before.actor ?? "unknown"})` : ""}; nothing changed\n`,
          );
        return show(g, state);
      }),
    );

  emergency
    .command("status")
    .description("is the emergency stop on, since when, why, who")
    .addHelpText("after", "\nExamples:\n  keel emergency status --format json")
    .action(
      action(async () => {
        const g = global();
        return show(g, await withClient(g, (client) => client.call(emergencyStatus)));
      }),
    );
}

function show(g: GlobalOptions, state: ReturnType<typeof emergencyJson>): number {
  if (g.format === "json") printJson(state);
  else
    printFields([
      ["emergency_stop", state.on ? "ON: no step starts" : "off"],
      ["reason", state.reason],
      ["abort", state.on ? state.abort : null],
      ["by", state.actor],
      ["since", state.at],
    ]);
  return ExitCode.ok;
}
