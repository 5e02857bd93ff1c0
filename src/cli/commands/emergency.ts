import type { Command } from "commander";
import type { EmergencyState } from "../../engine/emergency.js";
import { cliActor } from "../actor.js";
import { isoTime, printFields, printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import { withKeel, type GlobalOptions } from "../session.js";

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
      action(async (opts: { reason: string; abort?: boolean }) =>
        withKeel(global(), async (k) =>
          show(
            global(),
            await k.emergencyOn({ reason: opts.reason, abort: opts.abort, actor: cliActor() }),
          ),
        ),
      ),
    );

  emergency
    .command("off")
    .description("turn the emergency stop off: nodes resume at once")
    .option("--reason <text>", "why it is safe again (audit log)")
    .addHelpText("after", '\nExamples:\n  keel emergency off --reason "parser rolled back"')
    .action(
      action(async (opts: { reason?: string }) =>
        withKeel(global(), async (k) =>
          show(global(), await k.emergencyOff({ reason: opts.reason, actor: cliActor() })),
        ),
      ),
    );

  emergency
    .command("status")
    .description("is the emergency stop on, since when, why, who")
    .addHelpText("after", "\nExamples:\n  keel emergency status --format json")
    .action(
      action(async () =>
        withKeel(global(), async (k) => show(global(), await k.emergencyStatus())),
      ),
    );
}

function show(g: GlobalOptions, state: EmergencyState): number {
  const json = {
    on: state.on,
    reason: state.reason,
    abort: state.abort,
    actor: state.actor,
    at: isoTime(state.at),
  };
  if (g.format === "json") printJson(json);
  else
    printFields([
      ["emergency_stop", state.on ? "ON: no step starts" : "off"],
      ["reason", state.reason],
      ["abort", state.on ? state.abort : null],
      ["by", state.actor],
      ["since", isoTime(state.at)],
    ]);
  return ExitCode.ok;
}
