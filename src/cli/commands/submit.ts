import type { Command } from "commander";
import { submitRun } from "../../api/operations/runs.js";
import type { runJson } from "../../api/wire/runs.js";
import { withClient } from "../client.js";
import { elideJson } from "../elide.js";
import { followRun } from "../follow-run.js";
import { intFlag, jsonFlag } from "../flags.js";
import { printFields, printJson, runErrorLine } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

type RunJson = ReturnType<typeof runJson>;

/** `keel submit <pipeline> --input JSON`: stores a run; with --wait, follows it to the end. */
export function registerSubmit(program: Command, global: () => GlobalOptions): void {
  program
    .command("submit")
    .description("submit a run of a pipeline")
    .argument("<pipeline>", "pipeline name")
    .requiredOption(
      "--input <json>",
      "the run's input, as JSON (nested at most 64 levels)",
      jsonFlag("--input"),
    )
    .option(
      "--priority <n>",
      "higher runs first (default 0)",
      intFlag("--priority", -1_000_000, 1_000_000),
    )
    .option(
      "--at <time>",
      "run no earlier than: an ISO time (1970 to 9999), or a delay like 10m (at most 36500d)",
    )
    .option("--idempotency-key <key>", "a second submit with the same key returns the first run")
    .option(
      "--traceparent <header>",
      "the caller's W3C trace context: the run joins that trace (00-<trace id>-<span id>-<flags>)",
    )
    .option(
      "--wait",
      "print each step change and progress report until the run ends, then its output or why it failed; exit 1 unless it succeeded",
    )
    .addHelpText(
      "after",
      `
Examples:
  keel submit document-analysis --input '{"name":"plan","text":"The council shall..."}'
  keel submit nightly-report --input '{}' --at 2026-12-01T02:00:00Z --idempotency-key report-2026-12-01
  keel submit document-analysis --input '{"name":"b","text":"..."}' --priority 10 --wait
  keel submit nightly-report --input '{}' --traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01

With --wait, step changes and progress go to stdout (to stderr under --format json, so stdout
stays one JSON document). Exit codes: 0 submitted (with --wait: succeeded); 1 the run did not
succeed; 2 bad input (a malformed --input or --traceparent).`,
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
            traceparent?: string;
            wait?: boolean;
          },
        ) => {
          const g = global();
          const progress = g.format === "json" ? process.stderr : process.stdout;
          const { run, final } = await withClient(g, async (client) => {
            const run = await client.call(submitRun, {
              ...(opts.traceparent === undefined ? {} : { traceparent: opts.traceparent }),
              body: {
                pipeline,
                input: opts.input,
                priority: opts.priority,
                at: opts.at,
                idempotency_key: opts.idempotencyKey,
              },
            });
            const final = opts.wait
              ? await followRun(client, run.id, (line) => progress.write(line))
              : undefined;
            return { run, final };
          });
          const shown = final ?? run;
          if (g.format === "json") printJson({ ...shown, created: run.created });
          else
            printFields([
              ["run", shown.id],
              ["pipeline", shown.pipeline],
              ["status", shown.status],
              ["created", run.created ? "yes" : "no (idempotency key matched an existing run)"],
              ["scheduled_for", shown.scheduled_for],
              ...(final?.status === "succeeded"
                ? ([
                    ["output", elideJson(final.output, `keel jobs show ${final.id} --format json`)],
                  ] as [string, string][])
                : []),
              ...(final && final.status !== "succeeded"
                ? ([
                    ["quarantine", final.quarantine_reason],
                    ["error", errorLine(final)],
                  ] as [string, string | null][])
                : []),
            ]);
          if (final && final.status !== "succeeded") {
            // the exit code says it failed; the terminal must say why, without a second command
            process.stderr.write(`${endedBadly(final)}\n`);
            return ExitCode.failed;
          }
          return ExitCode.ok;
        },
      ),
    );
}

function errorLine(run: RunJson): string | null {
  return run.error ? runErrorLine(run.error) : null;
}

/** "run X quarantined (reason): code: message (step S); ..." for a --wait that did not succeed */
function endedBadly(run: RunJson): string {
  const why = run.quarantine_reason ? ` (${run.quarantine_reason})` : "";
  const error = errorLine(run);
  const next =
    run.status === "quarantined"
      ? `; \`keel quarantine show ${run.id}\` has the details, \`keel quarantine retry ${run.id} --note <why>\` runs it again`
      : "";
  return `run ${run.id} ${run.status}${why}${error ? `: ${error}` : ""}${next}`;
}
