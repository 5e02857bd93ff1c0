import { describe, expect, it } from "vitest";
import { InvalidInputError, NotFoundError } from "../../core/errors/definition-errors.js";
import { IllegalTransitionError, LeaseLostError } from "../../core/errors/run-errors.js";
import type { RetryRequest } from "../operator-requests.js";
import type { RunRecord } from "../records.js";
import type { Store } from "../store.js";
import {
  NOW,
  checkpoint,
  claimOne,
  claimedRun,
  errorInfo,
  expectKeelError,
  failure,
  runInStatus,
  snapshot,
  type StoreHandle,
} from "./helpers.case.test.js";

/** A run that checkpointed a and b, then failed c three times and was quarantined at `at`. */
export async function quarantinedAfterFailures(
  store: Store,
  at = NOW + 1000,
  reason = "max_attempts",
): Promise<RunRecord> {
  const { lease } = await claimedRun(store);
  await store.startStep(lease, "a", 1, "pending", NOW + 10);
  await store.recordStepFailure(lease, {
    ...failure("a", 1, NOW + 15),
    stepAttempts: { a: 1 },
  });
  await store.startStep(lease, "a", 2, "failed", NOW + 20);
  await store.completeStep(lease, checkpoint("a", { attempt: 2 }));
  await store.startStep(lease, "b", 1, "pending", NOW + 300);
  await store.completeStep(lease, checkpoint("b", { startedAt: NOW + 300, finishedAt: NOW + 400 }));
  for (let attempt = 1; attempt <= 3; attempt++) {
    await store.startStep(lease, "c", attempt, attempt === 1 ? "pending" : "failed", NOW + 500);
    await store.recordStepFailure(lease, {
      ...failure("c", attempt, NOW + 600),
      stepAttempts: { a: 1, c: attempt },
    });
  }
  await store.quarantineRun(lease, reason, errorInfo(reason, "c"), at);
  return (await store.getRun(lease.runId)) as RunRecord;
}

const retryAt = NOW + 5000;
const request = (overrides: Partial<RetryRequest> = {}): RetryRequest => ({
  clearSteps: [],
  note: "fixed the parser",
  actor: "cli:alice",
  now: retryAt,
  ...overrides,
});

export function retryCases(h: StoreHandle): void {
  describe("retryRun", () => {
    it("resumes a quarantined run after its checkpoints: failed steps start over", async () => {
      const before = await quarantinedAfterFailures(h.store);
      const result = await h.store.retryRun(before.id, request());
      expect(result.from).toBe("quarantined");
      expect(result.cleared).toEqual([]);
      expect(result.run).toEqual({
        ...before,
        status: "pending",
        quarantineReason: null,
        error: null,
        output: null,
        finishedAt: null,
        stepAttempts: { a: 1 },
        scheduledFor: retryAt,
        updatedAt: retryAt,
        leaseEpoch: before.leaseEpoch + 1,
      });
      expect(await h.store.getRun(before.id)).toEqual(result.run);
      expect((await h.store.listStepResults(before.id)).map((s) => s.step)).toEqual(["a", "b"]);
      const added = (await h.store.listTransitions(before.id)).slice(-2);
      expect(added).toMatchObject([
        {
          step: null,
          from: "quarantined",
          to: "pending",
          reason: "operator_retry",
          actor: "cli:alice",
          at: retryAt,
          traceId: before.traceId,
          details: { note: "fixed the parser", fromStep: null, cleared: [] },
        },
        { step: "c", from: "failed", to: "pending", reason: "operator_retry" },
      ]);
      const audit = (await h.store.listAudit({ limit: 10 })).entries;
      expect(audit).toMatchObject([
        {
          at: retryAt,
          actor: "cli:alice",
          action: "run.retry",
          target: before.id,
          reason: "fixed the parser",
          details: { from: "quarantined", fromStep: null, cleared: [] },
        },
      ]);
      const again = await claimOne(h.store, { pipelines: [before.pipeline], now: retryAt });
      expect(again.checkpoints.map((c) => c.step).sort()).toEqual(["a", "b"]);
      expect(again.run.stepAttempts).toEqual({ a: 1 });
    });

    it("clears the named checkpoints only, and records each one", async () => {
      const before = await quarantinedAfterFailures(h.store);
      const result = await h.store.retryRun(
        before.id,
        request({ fromStep: "b", clearSteps: ["b", "c"] }),
      );
      expect(result.cleared).toEqual(["b"]);
      expect((await h.store.listStepResults(before.id)).map((s) => s.step)).toEqual(["a"]);
      const added = (await h.store.listTransitions(before.id)).slice(-3);
      expect(added).toMatchObject([
        { step: null, reason: "operator_retry", details: { fromStep: "b", cleared: ["b"] } },
        { step: "b", from: "succeeded", to: "pending", reason: "cleared" },
        { step: "c", from: "failed", to: "pending", reason: "operator_retry" },
      ]);
      // the cleared step is checkpointed again on the next claim: its key is free
      const { lease } = await claimOne(h.store, { pipelines: [before.pipeline], now: retryAt });
      await h.store.startStep(lease, "b", 1, "pending", retryAt + 1);
      await h.store.completeStep(lease, checkpoint("b", { output: { again: true } }));
      const b = (await h.store.listStepResults(before.id)).find((s) => s.step === "b");
      expect(b?.output).toEqual({ again: true });
    });

    it("reruns a succeeded run from a step, dropping its output", async () => {
      const before = await runInStatus(h.store, "succeeded");
      const result = await h.store.retryRun(
        before.id,
        request({ fromStep: "a", clearSteps: ["a"] }),
      );
      expect(result).toMatchObject({ from: "succeeded", cleared: ["a"] });
      expect(result.run).toMatchObject({ status: "pending", output: null, finishedAt: null });
      expect(await h.store.listStepResults(before.id)).toEqual([]);
    });

    it("refuses a succeeded run with nothing to clear, changing nothing", async () => {
      const before = await runInStatus(h.store, "succeeded");
      const kept = await snapshot(h.store, before.id);
      await expectKeelError(
        h.store.retryRun(before.id, request()),
        InvalidInputError,
        "invalid_input",
      );
      expect(await snapshot(h.store, before.id)).toEqual(kept);
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });

    it("retries a cancelled run from where it stopped", async () => {
      const before = await runInStatus(h.store, "cancelled");
      const result = await h.store.retryRun(before.id, request());
      expect(result.run.status).toBe("pending");
      const claimed = await claimOne(h.store, { pipelines: [before.pipeline], now: retryAt });
      expect(claimed.run.id).toBe(before.id);
    });

    it("refuses pending and running runs: nothing changes, no audit entry, the lease holds", async () => {
      for (const status of ["pending", "running"] as const) {
        const run = await runInStatus(h.store, status);
        const kept = await snapshot(h.store, run.id);
        const error = await expectKeelError(
          h.store.retryRun(run.id, request({ fromStep: "a", clearSteps: ["a"] })),
          IllegalTransitionError,
          "illegal_transition",
        );
        expect(error.message).toMatch(/only quarantined, cancelled or succeeded runs/);
        expect(await snapshot(h.store, run.id)).toEqual(kept);
      }
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
      const { lease } = await claimedRun(h.store);
      await h.store.retryRun(lease.runId, request()).catch(() => undefined);
      await h.store.completeStep(lease, checkpoint("a"), { done: true });
      expect((await h.store.getRun(lease.runId))?.status).toBe("succeeded");
    });

    it("refuses an unknown run", async () => {
      await expectKeelError(h.store.retryRun("run_nope", request()), NotFoundError, "not_found");
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });

    it("fences off the node that held the run before it was cancelled and retried", async () => {
      const { lease } = await claimedRun(h.store);
      await h.store.cancelRun(lease.runId, { reason: "stuck", actor: "cli:alice", at: NOW + 10 });
      await h.store.retryRun(lease.runId, request());
      await expectKeelError(
        h.store.completeStep(lease, checkpoint("a")),
        LeaseLostError,
        "lease_lost",
      );
      expect(await h.store.listStepResults(lease.runId)).toEqual([]);
    });

    it("writes the audit entry of a retry with its change, in a batch where another write fails", async () => {
      const good = await quarantinedAfterFailures(h.store);
      const bad = await runInStatus(h.store, "pending");
      const [ok, refused] = await Promise.allSettled([
        h.store.retryRun(good.id, request()),
        h.store.retryRun(bad.id, request()),
      ]);
      expect(ok.status).toBe("fulfilled");
      expect(refused.status).toBe("rejected");
      const audit = (await h.store.listAudit({ limit: 10 })).entries;
      expect(audit.map((e) => e.target)).toEqual([good.id]);
      expect((await h.store.getRun(bad.id))?.status).toBe("pending");
    });

    it("touches only the run it retries", async () => {
      const one = await quarantinedAfterFailures(h.store);
      const other = await quarantinedAfterFailures(h.store);
      const kept = await snapshot(h.store, other.id);
      await h.store.retryRun(one.id, request({ fromStep: "a", clearSteps: ["a", "b", "c"] }));
      expect(await snapshot(h.store, other.id)).toEqual(kept);
    });
  });

  describe("cancelRun with an audit note", () => {
    it("writes the audit entry with the cancel; without a note, none", async () => {
      const audited = await runInStatus(h.store, "pending");
      const plain = await runInStatus(h.store, "pending");
      await h.store.cancelRun(audited.id, {
        reason: "duplicate",
        actor: "cli:bob",
        at: NOW + 50,
        audit: { action: "run.cancel" },
      });
      await h.store.cancelRun(plain.id, { reason: "duplicate", actor: "cli:bob", at: NOW + 60 });
      expect((await h.store.listAudit({ limit: 10 })).entries).toMatchObject([
        {
          at: NOW + 50,
          actor: "cli:bob",
          action: "run.cancel",
          target: audited.id,
          reason: "duplicate",
          details: { from: "pending" },
        },
      ]);
    });

    it("writes no audit entry when the cancel is refused", async () => {
      const done = await runInStatus(h.store, "succeeded");
      await expectKeelError(
        h.store.cancelRun(done.id, {
          reason: "too late",
          actor: "cli:bob",
          at: NOW + 50,
          audit: { action: "run.cancel" },
        }),
        IllegalTransitionError,
        "illegal_transition",
      );
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
      expect((await h.store.getRun(done.id))?.status).toBe("succeeded");
    });
  });
}
