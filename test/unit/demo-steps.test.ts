import { describe, expect, it } from "vitest";
import { loadDocuments } from "../../examples/document-analysis/documents.js";
import {
  documentAnalysis,
  type DocumentInput,
  type Report,
} from "../../examples/document-analysis/pipeline.js";
import type { StepContext } from "../../src/index.js";

function fakeCtx(step: string, runInput: unknown, progress: number[]): StepContext {
  const noop = (): void => {};
  return {
    runId: "run_test",
    traceId: "trace_test",
    traceparent: undefined,
    pipeline: "document-analysis",
    step,
    attempt: 1,
    runInput,
    seed: 1,
    signal: new AbortController().signal,
    log: { debug: noop, info: noop, warn: noop, error: noop },
    progress: (bytes) => {
      if (typeof bytes === "number") progress.push(bytes);
    },
    random: () => 0.5,
    uuid: () => "00000000-0000-4000-8000-000000000000",
    now: () => 0,
    fetch: () => Promise.reject(new Error("no network in this test")),
  };
}

/** What the engine does, minus durability: each step in topological order, fed its deps' outputs. */
async function runDag(
  doc: DocumentInput,
): Promise<{ outputs: Record<string, unknown>; progress: number[] }> {
  const outputs: Record<string, unknown> = {};
  const progress: number[] = [];
  for (const name of documentAnalysis.shape.order) {
    const def = documentAnalysis.steps.find((s) => s.name === name);
    if (!def) throw new Error(`no step ${name}`);
    const input =
      def.after.length === 0
        ? doc
        : Object.fromEntries(def.after.map((dep) => [dep, outputs[dep]]));
    outputs[name] = await def.run(fakeCtx(name, doc, progress), input);
  }
  return { outputs, progress };
}

describe("document-analysis pipeline", () => {
  it("has the eleven steps wired as the documented DAG", () => {
    const after = Object.fromEntries(documentAnalysis.steps.map((s) => [s.name, [...s.after]]));
    expect(after).toEqual({
      sanitization: [],
      plan_processing: ["sanitization"],
      segmentation: ["plan_processing"],
      embedding: ["segmentation"],
      responsibility_detection: ["embedding"],
      contradiction_detection: ["embedding"],
      monetary_detection: ["embedding"],
      causal_detection: ["embedding"],
      feasibility_scoring: ["responsibility_detection", "monetary_detection", "segmentation"],
      theory_of_change: ["causal_detection", "responsibility_detection", "monetary_detection"],
      dag_validation: ["theory_of_change", "feasibility_scoring", "contradiction_detection"],
    });
    expect(documentAnalysis.name).toBe("document-analysis");
    expect(documentAnalysis.shape.sinks).toEqual(["dag_validation"]);
  });

  it("ships 6-8 sample plans of 1-4 KB", async () => {
    const docs = await loadDocuments();
    expect(docs.length).toBeGreaterThanOrEqual(6);
    expect(docs.length).toBeLessThanOrEqual(8);
    for (const d of docs)
      (expect(Buffer.byteLength(d.text)).toBeGreaterThan(1024),
        expect(Buffer.byteLength(d.text)).toBeLessThan(4096));
  });

  it("runs every shipped document through the whole DAG deterministically, as plain JSON", async () => {
    const docs = await loadDocuments();
    const reports: Report[] = [];
    for (const doc of docs) {
      const first = await runDag(doc);
      const second = await runDag(doc);
      expect(JSON.stringify(second.outputs)).toBe(JSON.stringify(first.outputs));
      expect(JSON.parse(JSON.stringify(first.outputs))).toStrictEqual(first.outputs);
      expect(first.progress).toEqual([Buffer.byteLength(doc.text)]);
      const report = first.outputs.dag_validation as Report;
      expect(report.counts.responsibilities).toBeGreaterThanOrEqual(3);
      expect(report.counts.amounts).toBeGreaterThanOrEqual(3);
      expect(report.counts.causalLinks).toBeGreaterThanOrEqual(5);
      expect(report.feasibility.score).toBeGreaterThan(0);
      reports.push(report);
    }
    const byName = Object.fromEntries(reports.map((r) => [r.document.name, r]));
    expect(byName["school-literacy"]?.valid).toBe(false);
    expect(byName["clinic-expansion"]?.warnings).toContain(
      "USD budget lines add up to 1,093,500, more than the stated total of 1,000,000",
    );
    expect(reports.filter((r) => r.counts.contradictions > 0).length).toBeGreaterThanOrEqual(5);
  });
});
