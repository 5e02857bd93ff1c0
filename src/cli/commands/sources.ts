import type { Command } from "commander";
import { runJson, sourceJson } from "../../api/wire.js";
import { terminalRunStatuses } from "../../core/status.js";
import type { Keel } from "../../engine/keel.js";
import type { RunRecord } from "../../store/records.js";
import type { SourceRecord } from "../../store/sources.js";
import { cliActor } from "../actor.js";
import { textFlag } from "../flags.js";
import { isoTime, printFields, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import { openSession, type GlobalOptions } from "../session.js";

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
        const { keel } = await openSession(g);
        try {
          const list = await keel.listSources();
          if (g.format === "json") printJson({ sources: list.map(sourceJson) });
          else
            printTable(
              list.map((s) => ({
                name: s.name,
                kind: s.kind,
                pipeline: s.pipeline,
                schedule: schedule(s),
                state: s.paused ? "paused" : "active",
                last_tick: isoTime(s.lastTickAt),
                next_tick: s.paused ? null : isoTime(s.nextTickAt),
                reason: s.pauseReason,
              })),
              ["name", "kind", "pipeline", "schedule", "state", "last_tick", "next_tick", "reason"],
            );
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
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
        const { keel } = await openSession(g);
        try {
          printSource(g.format, await keel.pauseSource(name, opts.reason, cliActor()));
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
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
        const { keel } = await openSession(g);
        try {
          printSource(g.format, await keel.resumeSource(name, cliActor()));
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
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
        const { keel } = await openSession(g);
        try {
          const run = await keel.triggerSource(name, cliActor());
          // progress goes to stderr under --format json, so stdout stays one JSON document
          const progress = g.format === "json" ? process.stderr : process.stdout;
          const final = opts.wait ? await follow(keel, run, (l) => progress.write(l)) : run;
          if (g.format === "json") printJson({ ...runJson(final), created: run.created });
          else
            printFields([
              ["run", final.id],
              ["source", name],
              ["pipeline", final.pipeline],
              ["status", final.status],
            ]);
          if (opts.wait && final.status !== "succeeded") return ExitCode.failed;
          return ExitCode.ok;
        } finally {
          await keel.stop();
        }
      }),
    );
}

/** Polls the run's transitions every 200 ms and prints each new step change, until it ends. */
async function follow(
  keel: Keel,
  run: RunRecord,
  print: (line: string) => void,
): Promise<RunRecord> {
  let seen = 0;
  for (;;) {
    const current = await keel.get(run.id);
    const transitions = await keel.store.listTransitions(run.id);
    for (const t of transitions.slice(seen))
      if (t.step !== null) print(`${isoTime(t.at)}  ${t.step}  ${t.to}\n`);
    seen = transitions.length;
    if (current && terminalRunStatuses.has(current.status)) return current;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function schedule(s: SourceRecord): string | null {
  if (s.kind === "interval") return `every ${s.schedule}ms`;
  if (s.kind === "watch") return `watch ${s.schedule}`;
  return s.schedule;
}

function printSource(format: "table" | "json", s: SourceRecord): void {
  if (format === "json") printJson(sourceJson(s));
  else
    printFields([
      ["source", s.name],
      ["state", s.paused ? "paused" : "active"],
      ["reason", s.pauseReason],
    ]);
}
