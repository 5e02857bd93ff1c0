import type { Command } from "commander";
import {
  listSources,
  pauseSource,
  resumeSource,
  triggerSource,
} from "../../api/operations/sources.js";
import type { sourceJson } from "../../api/wire/sources.js";
import { withClient } from "../client.js";
import { followRun } from "../follow-run.js";
import { textFlag } from "../flags.js";
import { printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

type SourceJson = ReturnType<typeof sourceJson>;

/**
 * `keel sources list|pause|resume|trigger`: the producers of runs declared under `sources:` in
 * keel.yaml. A node records them in the store at start; pause and resume are audited.
 */
export function registerSources(program: Command, global: () => GlobalOptions): void {
  const sources = program
    .command("sources")
    .description("list, pause, resume and trigger sources (cron, interval, watch, manual)");

  sources
    .command("list")
    .description("list sources with their schedule, pause state and ticks")
    .addHelpText("after", "\nExamples:\n  keel sources list\n  keel sources list --format json")
    .action(
      action(async () => {
        const g = global();
        const list = await withClient(g, (client) => client.call(listSources));
        if (g.format === "json") printJson(list);
        else
          printTable(
            list.sources.map((s) => ({
              name: s.name,
              kind: s.kind,
              pipeline: s.pipeline,
              schedule: schedule(s),
              state: s.paused ? "paused" : "active",
              last_tick: s.last_tick_at,
              next_tick: s.paused ? null : s.next_tick_at,
              reason: s.pause_reason,
            })),
            ["name", "kind", "pipeline", "schedule", "state", "last_tick", "next_tick", "reason"],
          );
        return ExitCode.ok;
      }),
    );

  sources
    .command("pause")
    .description("pause a source: its ticks create no runs, on every node, until resumed")
    .argument("<name>", "source name")
    .requiredOption(
      "--reason <text>",
      "why (kept in the audit log)",
      textFlag("--reason", "upstream maintenance"),
    )
    .addHelpText(
      "after",
      `
Examples:
  keel sources pause nightly-report --reason "upstream maintenance"

The pause survives node restarts. Exit codes: 0 paused; 1 unknown source; 2 bad flags.`,
    )
    .action(
      action(async (name: string, opts: { reason: string }) => {
        const g = global();
        const source = await withClient(g, (client) =>
          client.call(pauseSource, { params: { name }, body: { reason: opts.reason } }),
        );
        printSource(g.format, source);
        return ExitCode.ok;
      }),
    );

  sources
    .command("resume")
    .description("resume a paused source from its next tick (missed ticks are not made up)")
    .argument("<name>", "source name")
    .addHelpText(
      "after",
      "\nExamples:\n  keel sources resume nightly-report\n\nExit codes: 0 resumed; 1 unknown source.",
    )
    .action(
      action(async (name: string) => {
        const g = global();
        const source = await withClient(g, (client) =>
          client.call(resumeSource, { params: { name } }),
        );
        printSource(g.format, source);
        return ExitCode.ok;
      }),
    );

  sources
    .command("trigger")
    .description("submit one run of a source now (also while it is paused)")
    .argument("<name>", "source name")
    .option("--wait", "print step progress until the run ends; exit 1 unless it succeeded")
    .addHelpText(
      "after",
      `
Examples:
  keel sources trigger nightly-report
  keel sources trigger nightly-report --wait

A node must be running (keel start) to execute the run. Exit codes: 0 submitted (with --wait:
succeeded); 1 unknown source, or with --wait the run did not succeed.`,
    )
    .action(
      action(async (name: string, opts: { wait?: boolean }) => {
        const g = global();
        // progress goes to stderr under --format json, so stdout stays one JSON document
        const progress = g.format === "json" ? process.stderr : process.stdout;
        const { run, final } = await withClient(g, async (client) => {
          const run = await client.call(triggerSource, { params: { name } });
          const final = opts.wait ? await followRun(client, run.id, (l) => progress.write(l)) : run;
          return { run, final };
        });
        if (g.format === "json") printJson({ ...final, created: run.created });
        else
          printFields([
            ["run", final.id],
            ["source", name],
            ["pipeline", final.pipeline],
            ["status", final.status],
          ]);
        if (opts.wait && final.status !== "succeeded") return ExitCode.failed;
        return ExitCode.ok;
      }),
    );
}

function schedule(s: SourceJson): string | null {
  if (s.kind === "interval") return `every ${s.every_ms}ms`;
  if (s.kind === "watch") return `watch ${s.watch}`;
  return s.cron;
}

function printSource(format: "table" | "json", s: SourceJson): void {
  if (format === "json") printJson(s);
  else
    printFields([
      ["source", s.name],
      ["state", s.paused ? "paused" : "active"],
      ["reason", s.pause_reason],
    ]);
}
