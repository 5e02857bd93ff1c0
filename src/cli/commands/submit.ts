import type { Command } from "commander";
import { runJson } from "../../api/wire.js";
import { intFlag, jsonFlag } from "../flags.js";
import { isoTime, printFields, printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import { openSession, type GlobalOptions } from "../session.js";

/** `keel submit <pipeline> --input JSON`: stores a run; with --wait, follows it to the end. */
export function registerSubmit(program: Command, global: () => GlobalOptions): void {
  program
    .command("submit")
    .description("submit a run of a pipeline")
    .argument("<pipeline>", "pipeline name")
    .requiredOption("--input <json>", "the run's input, as JSON", jsonFlag("--input"))
    .option(
      "--priority <n>",
      "higher runs first (default 0)",
      intFlag("--priority", -1_000_000, 1_000_000),
    )
    .option("--at <time>", "run no earlier than: an ISO time, or a delay like 10m")
    .option("--idempotency-key <key>", "a second submit with the same key returns the first run")
    .option("--wait", "wait until the run ends; exit 1 unless it succeeded")
    .addHelpText(
      "after",
      `
Examples:
  keel submit document-analysis --input '{"name":"plan","text":"The council shall..."}'
  keel submit nightly-report --input '{}' --at 2026-12-01T02:00:00Z --idempotency-key report-2026-12-01
  keel submit document-analysis --input '{"name":"b","text":"..."}' --priority 10 --wait`,
    )
    .action(
      action(
        async (
          pipeline: string,
          opts: {
            input: unknown;
            priority?: number;
            at?: string;
            idempotencyKey?: string;
            wait?: boolean;
          },
        ) => {
          const g = global();
          const { keel } = await openSession(g);
          try {
            const run = await keel.submit(pipeline, opts.input as never, {
              priority: opts.priority,
              at: opts.at,
              idempotencyKey: opts.idempotencyKey,
              actor: "cli",
              source: "cli",
            });
            const final = opts.wait ? await keel.wait(run.id) : undefined;
            const shown = final ?? run;
            if (g.format === "json") printJson({ ...runJson(shown), created: run.created });
            else
              printFields([
                ["run", shown.id],
                ["pipeline", shown.pipeline],
                ["status", shown.status],
                ["created", run.created ? "yes" : "no (idempotency key matched an existing run)"],
                ["scheduled_for", isoTime(shown.scheduledFor)],
              ]);
            if (final && final.status !== "succeeded") return ExitCode.failed;
            return ExitCode.ok;
          } finally {
            await keel.stop();
          }
        },
      ),
    );
}
