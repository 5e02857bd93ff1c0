import type { Command } from "commander";
import { showRun } from "../../api/operations/runs.js";
import type { runDetailsJson } from "../../api/wire/runs.js";
import { withClient } from "../client.js";
import { elapsedText, elideJson, progressLine } from "../elide.js";
import { printFields, printJson, printTable, runErrorLine } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

type RunDetailsJson = ReturnType<typeof runDetailsJson>;

/**
 * `keel jobs show <id>`: the run, its output or error, the steps in flight (elapsed time and
 * progress), each checkpoint with its output, every failed attempt, and the transitions. A big
 * value is shown as its size; `--format json` has everything.
 */
export function registerJobShow(jobs: Command, global: () => GlobalOptions): void {
  jobs
    .command("show")
    .description(
      "show one run: status, output or error, steps in flight with progress, checkpoints, failed attempts, transitions",
    )
    .argument("<id>", "run id")
    .addHelpText(
      "after",
      `
Examples:
  keel jobs show run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z
  keel jobs show run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --format json

Outputs and error messages longer than a line are shown as their size; --format json shows them
whole. Exit codes: 0 shown; 1 no such run.`,
    )
    .action(
      action(async (id: string) => {
        const g = global();
        const run = await withClient(g, (client) => client.call(showRun, { params: { id } }));
        if (g.format === "json") printJson(run);
        else printRun(run);
        return ExitCode.ok;
      }),
    );
}

/** a run waiting for a person: at which gate, since when, and what its timeout will do */
function gateLine(gate: RunDetailsJson["waiting_at_gate"]): string | null {
  if (!gate) return null;
  return `at approval gate "${gate.gate}" since ${gate.opened_at} (${elapsedText(gate.waiting_ms)}); ${gate.on_timeout} at ${gate.timeout_at}: keel gates approve|reject ${gate.run} ${gate.gate} --note ...`;
}

function printRun(run: RunDetailsJson): void {
  const whole = `keel jobs show ${run.id} --format json`;
  printFields([
    ["run", run.id],
    ["pipeline", `${run.pipeline} (${run.pipeline_version})`],
    ["status", run.status],
    ["attempts", run.attempts],
    ["trace_id", run.trace_id],
    ["created", run.created_at],
    ["finished", run.finished_at],
    ["quarantine", run.quarantine_reason],
    ["waiting", gateLine(run.waiting_at_gate)],
    ["error", run.error ? cut(runErrorLine(run.error)) : null],
    ["output", run.output === null ? null : elideJson(run.output, whole)],
  ]);
  if (run.running_steps.length > 0) {
    process.stdout.write("\nrunning:\n");
    printTable(
      run.running_steps.map((s) => ({
        step: s.step,
        attempt: s.attempt,
        started: s.started_at,
        elapsed: elapsedText(s.elapsed_ms),
        progress: s.progress ? progressLine(s.progress) : null,
      })),
      ["step", "attempt", "started", "elapsed", "progress"],
    );
  }
  process.stdout.write("\nsteps:\n");
  printTable(
    run.steps.map((s) => ({
      step: s.step,
      attempt: s.attempt,
      ms: s.duration_ms,
      degraded: s.degraded ? "yes" : null,
      output: elideJson(s.output, whole, 120),
    })),
    ["step", "attempt", "ms", "degraded", "output"],
  );
  const failures = run.transitions.filter((t) => t.step !== null && t.to === "failed");
  if (failures.length > 0) {
    process.stdout.write("\nfailed attempts:\n");
    printTable(
      failures.map((t) => {
        const details = (t.details ?? {}) as { attempt?: number; message?: string };
        return {
          at: t.at,
          step: t.step,
          attempt: details.attempt ?? null,
          code: t.reason,
          message: cut(details.message ?? ""),
        };
      }),
      ["at", "step", "attempt", "code", "message"],
    );
  }
  process.stdout.write("\ntransitions:\n");
  printTable(
    run.transitions.map((t) => ({
      at: t.at,
      step: t.step ?? "(run)",
      change: `${t.from ?? "-"} -> ${t.to}`,
      reason: t.reason,
      actor: t.actor,
    })),
    ["at", "step", "change", "reason", "actor"],
  );
}

/** a message on one line of a terminal; its length says how much was left out */
function cut(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ");
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} characters)`;
}
