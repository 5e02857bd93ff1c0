import type { JsonValue } from "../core/canonical-json.js";
import type { StepEvent } from "../engine/run-execution.js";
import { printTable } from "./output.js";

/** The demo's closing report: timings per step, and what each document's run concluded. */
export interface StepTiming {
  step: string;
  runs: number;
  avg_ms: number;
  p95_ms: number;
  max_ms: number;
}

export function stepTimings(events: StepEvent[]): StepTiming[] {
  const byStep = new Map<string, number[]>();
  for (const e of events) {
    if (e.status !== "succeeded" || e.ms === undefined) continue;
    const list = byStep.get(e.step) ?? [];
    list.push(e.ms);
    byStep.set(e.step, list);
  }
  return [...byStep.entries()].map(([step, ms]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      step,
      runs: ms.length,
      avg_ms: round(ms.reduce((a, b) => a + b, 0) / ms.length),
      p95_ms: round(at(0.95)),
      max_ms: round(sorted.at(-1) ?? 0),
    };
  });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface DemoReport {
  runs: { id: string; document: string | undefined; status: string; output: JsonValue | null }[];
  steps: StepTiming[];
  wall_ms: number;
  home: string;
}

export function printDemoReport(report: DemoReport): void {
  process.stdout.write("\nstep timings:\n");
  printTable(report.steps as unknown as Record<string, unknown>[], [
    "step",
    "runs",
    "avg_ms",
    "p95_ms",
    "max_ms",
  ]);
  process.stdout.write("\nruns:\n");
  printTable(
    report.runs.map((r) => ({
      document: r.document,
      status: r.status,
      ...summarize(r.output),
      run: r.id,
    })),
    ["document", "status", "feasibility", "findings", "run"],
  );
  const ok = report.runs.filter((r) => r.status === "succeeded").length;
  process.stdout.write(
    `\n${ok}/${report.runs.length} runs succeeded in ${report.wall_ms} ms. Inspect them with:\n  keel jobs list --home ${report.home}\n  keel jobs show ${report.runs[0]?.id ?? "<run id>"} --home ${report.home}\n`,
  );
}

/** The headline figures of the final step's report (examples/document-analysis/steps/dag_validation.ts). */
function summarize(output: JsonValue | null): {
  feasibility: string | null;
  findings: string | null;
} {
  const final = (output as { dag_validation?: DagValidationSummary } | null)?.dag_validation;
  if (!final) return { feasibility: null, findings: null };
  const c = final.counts ?? {};
  return {
    feasibility: final.feasibility
      ? `${final.feasibility.score} (${final.feasibility.grade})`
      : null,
    findings: `${c.responsibilities ?? 0} duties, ${c.amounts ?? 0} amounts, ${c.causalLinks ?? 0} causal links, ${c.contradictions ?? 0} contradictions, ${final.warnings?.length ?? 0} warnings`,
  };
}

interface DagValidationSummary {
  feasibility?: { score: number; grade: string };
  counts?: Record<string, number>;
  warnings?: string[];
}
