import type { Command } from "commander";
import { verify } from "../../api/operations/determinism.js";
import { withClient } from "../client.js";
import { intFlag, textFlag } from "../flags.js";
import { printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel verify <run>`: replay a run in the sandbox and say, step by step, what differs and why. */
export function registerVerify(program: Command, global: () => GlobalOptions): void {
  program
    .command("verify")
    .description(
      "replay a run's steps from their recorded inputs in a sandbox, N times, and classify every mismatch",
    )
    .argument("<run>", "run id")
    .option("--replays <n>", "replays of each step (default 10)", intFlag("--replays", 1, 100), 10)
    .option(
      "--from-step <step>",
      "replay this step and those after it only",
      textFlag("--from-step", "parse"),
    )
    .addHelpText(
      "after",
      `
Exit codes: 0 every replayed step matches its record; 1 a mismatch (or the run is unknown);
2 bad flags. Nothing is written to the run: the sandbox is a child process without the store.

Classes: VOLATILE_LEAK, SEED_MISMATCH, UNSEEDED_RNG, EXTERNAL_CALL, DETERMINISM_VIOLATION
(docs/determinism.md walks through one of each).

Examples:
  keel verify run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z
  keel verify run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --replays 3 --from-step price --format json`,
    )
    .action(
      action(async (run: string, opts: { replays: number; fromStep?: string }) => {
        const g = global();
        const report = await withClient(g, (client) =>
          client.call(verify, {
            params: { id: run },
            body: { replays: opts.replays, ...(opts.fromStep ? { from_step: opts.fromStep } : {}) },
          }),
        );
        if (g.format === "json") printJson(report);
        else {
          if (report.replayed_version !== report.pipeline_version)
            process.stdout.write(
              `note: the run ran pipeline version ${report.pipeline_version}; the code replayed is ${report.replayed_version}\n`,
            );
          printTable(
            report.steps.map((s) => ({
              step: s.step,
              status: s.status,
              class: s.class,
              fields: s.fields.map((f) => f.path).join(" ") || s.calls.join(" ") || null,
              note: s.note,
            })),
            ["step", "status", "class", "fields", "note"],
          );
          for (const s of report.steps)
            for (const f of s.fields.slice(0, 3))
              process.stdout.write(
                `  ${s.step} ${f.path}: ${JSON.stringify(f.a)} vs ${JSON.stringify(f.b)}\n`,
              );
        }
        return report.same ? ExitCode.ok : ExitCode.failed;
      }),
    );
}
