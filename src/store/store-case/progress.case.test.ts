import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../core/errors/definition-errors.js";
import type { StepProgress } from "../progress.js";
import type { PeerHandle } from "./breakers.case.test.js";
import { NOW, claimedRun, expectKeelError, submit } from "./helpers.case.test.js";

const report = (runId: string, overrides: Partial<StepProgress> = {}): StepProgress => ({
  runId,
  step: "a",
  attempt: 1,
  done: 3,
  total: 10,
  message: "page 3 of 10",
  updatedAt: NOW + 10,
  ...overrides,
});

export function progressCases(h: PeerHandle): void {
  describe("step progress", () => {
    it("keeps one row per run and step, the latest report, and another handle reads it", async () => {
      const { lease } = await claimedRun(h.store);
      await h.store.reportProgress(report(lease.runId));
      await h.store.reportProgress(report(lease.runId, { done: 7, updatedAt: NOW + 20 }));
      await h.store.reportProgress(
        report(lease.runId, { step: "b", done: null, total: null, message: "warming up" }),
      );
      const reader = h.peer ?? h.store;
      expect(await reader.listProgress(lease.runId)).toEqual([
        report(lease.runId, { done: 7, updatedAt: NOW + 20 }),
        report(lease.runId, { step: "b", done: null, total: null, message: "warming up" }),
      ]);
      expect(await h.store.listProgress("run_unknown")).toEqual([]);
    });

    it("feeds the reports since a time, oldest first, for one run or all", async () => {
      const one = await submit(h.store);
      const two = await submit(h.store);
      await h.store.reportProgress(report(one.id, { updatedAt: NOW + 5 }));
      await h.store.reportProgress(report(two.id, { updatedAt: NOW + 15 }));
      await h.store.reportProgress(report(one.id, { step: "b", updatedAt: NOW + 25 }));
      const since = (s: number, runId?: string) =>
        h.store.progressSince({ since: s, limit: 10, ...(runId ? { runId } : {}) });
      expect((await since(NOW + 10)).map((p) => [p.runId, p.step])).toEqual([
        [two.id, "a"],
        [one.id, "b"],
      ]);
      expect((await since(NOW, one.id)).map((p) => p.updatedAt)).toEqual([NOW + 5, NOW + 25]);
      expect(await h.store.progressSince({ since: NOW, limit: 1 })).toHaveLength(1);
    });

    it("refuses a negative or infinite count and changes nothing", async () => {
      const run = await submit(h.store);
      await h.store.reportProgress(report(run.id));
      const negative = await expectKeelError(
        h.store.reportProgress(report(run.id, { done: -1 })),
        InvalidInputError,
        "invalid_input",
      );
      expect(negative.message).toMatch(/done must be a finite number/);
      const infinite = await expectKeelError(
        h.store.reportProgress(report(run.id, { total: Infinity })),
        InvalidInputError,
        "invalid_input",
      );
      expect(infinite.message).toMatch(/total must be a finite number/);
      expect(await h.store.listProgress(run.id)).toEqual([report(run.id)]);
    });

    it("stores the traceparent a run was submitted with, and none when it came without", async () => {
      const header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      const traced = await submit(h.store, {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        traceParent: header,
      });
      expect(traced.traceParent).toBe(header);
      expect((await h.store.getRun(traced.id))?.traceParent).toBe(header);
      const plain = await submit(h.store);
      expect((await h.store.getRun(plain.id))?.traceParent).toBeUndefined();
      const page = await h.store.listRuns({ limit: 10 });
      expect(page.runs.find((r) => r.id === traced.id)?.traceParent).toBe(header);
    });
  });
}
