import { describe, expect, it } from "vitest";
import {
  LEASE_MS,
  NODE_A,
  NODE_B,
  NOW,
  checkpoint,
  claim,
  claimOne,
  claimedRun,
  errorInfo,
  failure,
  snapshot,
  type StoreHandle,
} from "./helpers.case.test.js";

/** The transition of attempt 2 of step a started at NOW + 30, after attempt 1 failed. */
const retryStarted = {
  step: "a",
  from: "failed",
  to: "running",
  reason: "started",
  at: NOW + 30,
  details: { attempt: 2 },
};

/** Writes of the lease holder: each changes the run and appends its transitions, in order. */
export function writeCases(h: StoreHandle): void {
  describe("writes under a valid lease", () => {
    it("startStep appends a step transition and leaves the run running", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.startStep(lease, "a", 1, "pending", NOW + 10);
      const transitions = await h.store.listTransitions(run.id);
      expect(transitions).toHaveLength(3);
      expect(transitions[2]).toMatchObject({
        runId: run.id,
        step: "a",
        from: "pending",
        to: "running",
        reason: "started",
        actor: NODE_A,
        at: NOW + 10,
        traceId: run.traceId,
        details: { attempt: 1 },
      });
      expect(await h.store.getRun(run.id)).toEqual({ ...run, updatedAt: NOW + 10 });
    });

    it("startStep of a retry starts from failed", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.startStep(lease, "a", 1, "pending", NOW + 10);
      await h.store.recordStepFailure(lease, failure("a", 1, NOW + 20));
      await h.store.startStep(lease, "a", 2, "failed", NOW + 30);
      const last = (await h.store.listTransitions(run.id)).at(-1);
      expect(last).toMatchObject(retryStarted);
    });

    it("completeStep records the checkpoint and keeps the run running", async () => {
      const { run, lease } = await claimedRun(h.store);
      const cp = checkpoint("a", {
        output: { rows: [1, 2, 3], note: "ok" },
        attempt: 2,
        startedAt: NOW + 100,
        finishedAt: NOW + 250,
      });
      await h.store.completeStep(lease, cp);
      expect(await h.store.listStepResults(run.id)).toEqual([
        {
          runId: run.id,
          step: "a",
          output: cp.output,
          outputHash: cp.outputHash,
          attempt: 2,
          nodeId: NODE_A,
          startedAt: NOW + 100,
          finishedAt: NOW + 250,
          degraded: false,
          recorded: null,
        },
      ]);
      const after = await h.store.getRun(run.id);
      expect(after).toEqual({ ...run, updatedAt: NOW + 250 });
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: "a",
        from: "running",
        to: "succeeded",
        reason: "checkpoint",
        actor: NODE_A,
        at: NOW + 250,
        traceId: run.traceId,
        details: { attempt: 2 },
      });
    });

    it("completeStep with a run output finishes the run in the same write", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.completeStep(lease, checkpoint("a", { finishedAt: NOW + 200 }), "the answer");
      const after = await h.store.getRun(run.id);
      expect(after).toEqual({
        ...run,
        status: "succeeded",
        output: "the answer",
        finishedAt: NOW + 200,
        updatedAt: NOW + 200,
        nodeId: null,
        leaseExpiresAt: null,
      });
      expect((await h.store.listStepResults(run.id)).map((s) => s.step)).toEqual(["a"]);
      const tail = (await h.store.listTransitions(run.id)).slice(-2);
      expect(tail).toMatchObject([
        { step: "a", from: "running", to: "succeeded", reason: "checkpoint", at: NOW + 200 },
        {
          step: null,
          from: "running",
          to: "succeeded",
          reason: "completed",
          actor: NODE_A,
          at: NOW + 200,
        },
      ]);
      expect(await h.store.heartbeat(NODE_A, NOW + 300, LEASE_MS)).toEqual([]);
      expect(await claim(h.store, { pipelines: [run.pipeline], now: NOW + 300 })).toEqual([]);
    });

    it("completeStep can finish a run with a null output", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.completeStep(lease, checkpoint("a"), null);
      expect(await h.store.getRun(run.id)).toMatchObject({ status: "succeeded", output: null });
    });

    it("recordStepFailure counts the attempt and keeps the error, the run still running", async () => {
      const { run, lease } = await claimedRun(h.store);
      const first = failure("a", 1, NOW + 20, "econnreset");
      await h.store.recordStepFailure(lease, first);
      expect(await h.store.getRun(run.id)).toEqual({
        ...run,
        attempts: 1,
        stepAttempts: { a: 1 },
        error: first.error,
        updatedAt: NOW + 20,
      });
      const second = { ...failure("b", 1, NOW + 40, "timeout"), stepAttempts: { a: 1, b: 1 } };
      await h.store.recordStepFailure(lease, second);
      expect(await h.store.getRun(run.id)).toMatchObject({
        status: "running",
        attempts: 2,
        stepAttempts: { a: 1, b: 1 },
        error: second.error,
      });
      const tail = (await h.store.listTransitions(run.id)).slice(-2);
      expect(tail).toMatchObject([
        {
          step: "a",
          from: "running",
          to: "failed",
          reason: "econnreset",
          actor: NODE_A,
          at: NOW + 20,
          traceId: run.traceId,
          details: { attempt: 1 },
        },
        { step: "b", from: "running", to: "failed", reason: "timeout", at: NOW + 40 },
      ]);
    });

    it("completeStep with the attempt's start writes the start first, in the same write", async () => {
      const { run, lease } = await claimedRun(h.store);
      const cp = checkpoint("a", { start: { from: "pending", at: NOW + 100 } });
      await h.store.completeStep(lease, cp, { done: true });
      const steps = (await h.store.listTransitions(run.id)).slice(-3);
      expect(steps).toMatchObject([
        { step: "a", from: "pending", to: "running", reason: "started", at: NOW + 100 },
        { step: "a", from: "running", to: "succeeded", reason: "checkpoint", at: NOW + 200 },
        { step: null, from: "running", to: "succeeded", reason: "completed", at: NOW + 200 },
      ]);
      expect(steps[0]).toMatchObject({
        actor: NODE_A,
        traceId: run.traceId,
        details: { attempt: 1 },
      });
      expect(await h.store.getRun(run.id)).toMatchObject({ status: "succeeded" });
    });

    it("recordStepFailure with the attempt's start writes the start first", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.recordStepFailure(lease, {
        ...failure("a", 2, NOW + 40),
        start: { from: "failed", at: NOW + 30 },
      });
      expect((await h.store.listTransitions(run.id)).slice(-2)).toMatchObject([
        retryStarted,
        { step: "a", from: "running", to: "failed", reason: "econnreset", at: NOW + 40 },
      ]);
    });

    it("a start carried by a write under a lost lease is not written either", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.releaseNodeRuns(NODE_A, "node_offline", NOW + 50);
      const before = await h.store.listTransitions(run.id);
      await expect(
        h.store.completeStep(lease, checkpoint("a", { start: { from: "pending", at: NOW + 60 } })),
      ).rejects.toMatchObject({ code: "lease_lost" });
      expect(await h.store.listTransitions(run.id)).toEqual(before);
    });

    it("rescheduleRun puts the run back to pending until its new time", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.recordStepFailure(lease, failure("a", 1, NOW + 20));
      await h.store.rescheduleRun(lease, NOW + 5000, "retry", NOW + 30);
      const after = await h.store.getRun(run.id);
      expect(after).toMatchObject({
        status: "pending",
        scheduledFor: NOW + 5000,
        nodeId: null,
        leaseExpiresAt: null,
        attempts: 1,
        stepAttempts: { a: 1 },
        updatedAt: NOW + 30,
        finishedAt: null,
      });
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "pending",
        reason: "retry",
        actor: NODE_A,
        at: NOW + 30,
      });
      expect(await h.store.nextDueAt([run.pipeline])).toBe(NOW + 5000);
      expect(await claim(h.store, { pipelines: [run.pipeline], now: NOW + 4999 })).toEqual([]);
      const again = await claimOne(h.store, { pipelines: [run.pipeline], now: NOW + 5000 });
      expect(again.run).toMatchObject({ id: run.id, attempts: 1, stepAttempts: { a: 1 } });
    });

    it("quarantineRun ends the run with its reason and error", async () => {
      const { run, lease } = await claimedRun(h.store);
      const error = errorInfo("validation");
      await h.store.quarantineRun(lease, "permanent:validation", error, NOW + 40);
      expect(await h.store.getRun(run.id)).toEqual({
        ...run,
        status: "quarantined",
        quarantineReason: "permanent:validation",
        error,
        finishedAt: NOW + 40,
        updatedAt: NOW + 40,
        nodeId: null,
        leaseExpiresAt: null,
      });
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "quarantined",
        reason: "permanent:validation",
        actor: NODE_A,
        at: NOW + 40,
      });
      expect(await claim(h.store, { pipelines: [run.pipeline], now: NOW + 50 })).toEqual([]);
      expect(await h.store.heartbeat(NODE_A, NOW + 50, LEASE_MS)).toEqual([]);
    });

    it("returnRun gives the run back untouched, claimable at once", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.completeStep(lease, checkpoint("a"));
      await h.store.returnRun(lease, "stopping", NOW + 300);
      expect(await h.store.getRun(run.id)).toMatchObject({
        status: "pending",
        nodeId: null,
        leaseExpiresAt: null,
        scheduledFor: run.scheduledFor,
        updatedAt: NOW + 300,
        finishedAt: null,
      });
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "pending",
        reason: "stopping",
        actor: NODE_A,
        at: NOW + 300,
      });
      const again = await claimOne(h.store, {
        pipelines: [run.pipeline],
        nodeId: NODE_B,
        now: NOW + 301,
      });
      expect(again.run.id).toBe(run.id);
      expect(again.checkpoints.map((c) => c.step)).toEqual(["a"]);
    });

    it("writes a run's whole history in order", async () => {
      const { run, lease } = await claimedRun(h.store, { now: NOW });
      await h.store.startStep(lease, "a", 1, "pending", NOW + 1);
      await h.store.completeStep(
        lease,
        checkpoint("a", { startedAt: NOW + 1, finishedAt: NOW + 2 }),
      );
      await h.store.startStep(lease, "b", 1, "pending", NOW + 3);
      await h.store.recordStepFailure(lease, failure("b", 1, NOW + 4));
      await h.store.rescheduleRun(lease, NOW + 10, "retry", NOW + 5);
      const second = await claimOne(h.store, {
        pipelines: [run.pipeline],
        nodeId: NODE_B,
        now: NOW + 10,
      });
      await h.store.startStep(second.lease, "b", 2, "failed", NOW + 11);
      await h.store.completeStep(
        second.lease,
        checkpoint("b", { attempt: 2, startedAt: NOW + 11, finishedAt: NOW + 12 }),
        { b: 1 },
      );

      const transitions = await h.store.listTransitions(run.id);
      expect(transitions.map((t) => [t.step, t.from, t.to, t.reason, t.actor, t.at])).toEqual([
        [null, null, "pending", "submitted", "tester", NOW],
        [null, "pending", "running", "claimed", NODE_A, NOW],
        ["a", "pending", "running", "started", NODE_A, NOW + 1],
        ["a", "running", "succeeded", "checkpoint", NODE_A, NOW + 2],
        ["b", "pending", "running", "started", NODE_A, NOW + 3],
        ["b", "running", "failed", "econnreset", NODE_A, NOW + 4],
        [null, "running", "pending", "retry", NODE_A, NOW + 5],
        [null, "pending", "running", "claimed", NODE_B, NOW + 10],
        ["b", "failed", "running", "started", NODE_B, NOW + 11],
        ["b", "running", "succeeded", "checkpoint", NODE_B, NOW + 12],
        [null, "running", "succeeded", "completed", NODE_B, NOW + 12],
      ]);
      const ids = transitions.map((t) => t.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
      for (const t of transitions) expect(t).toMatchObject({ runId: run.id, traceId: run.traceId });
      expect(
        (await h.store.listStepResults(run.id)).map((s) => [s.step, s.nodeId, s.attempt]),
      ).toEqual([
        ["a", NODE_A, 1],
        ["b", NODE_B, 2],
      ]);
      expect(await h.store.getRun(run.id)).toMatchObject({
        status: "succeeded",
        output: { b: 1 },
        attempts: 1,
        startedAt: NOW,
        finishedAt: NOW + 12,
      });
    });
  });

  describe("checkpoints are written once", () => {
    // The decision: a second checkpoint for the same (run, step) is refused with an error, even
    // under a valid lease, and the whole write is rolled back: the first checkpoint stays the only
    // row, the run is unchanged and its lease still good.
    it("refuses a second checkpoint of a step after a re-claim", async () => {
      const first = await claimedRun(h.store);
      const runId = first.run.id;
      await h.store.completeStep(first.lease, checkpoint("a", { output: "first" }));
      await h.store.returnRun(first.lease, "stopping", NOW + 300);
      const second = await claimOne(h.store, {
        pipelines: [first.run.pipeline],
        nodeId: NODE_B,
        now: NOW + 400,
      });
      expect(second.checkpoints.map((c) => c.output)).toEqual(["first"]);
      const before = await snapshot(h.store, runId);

      const again = checkpoint("a", {
        output: "second",
        outputHash: "other",
        startedAt: NOW + 410,
        finishedAt: NOW + 420,
      });
      await expect(h.store.completeStep(second.lease, again)).rejects.toThrow();
      await expect(h.store.completeStep(second.lease, again, "run output")).rejects.toThrow();

      expect(await snapshot(h.store, runId)).toEqual(before);
      const steps = await h.store.listStepResults(runId);
      expect(steps).toHaveLength(1);
      expect(steps[0]).toMatchObject({ step: "a", output: "first", nodeId: NODE_A });
      // nothing half-written: the holder can still give the run back
      await h.store.returnRun(second.lease, "stopping", NOW + 500);
      expect((await h.store.getRun(runId))?.status).toBe("pending");
    });

    it("refuses a second checkpoint of a step under the same lease", async () => {
      const { run, lease } = await claimedRun(h.store);
      await h.store.completeStep(lease, checkpoint("a", { output: 1 }));
      const before = await snapshot(h.store, run.id);
      await expect(h.store.completeStep(lease, checkpoint("a", { output: 2 }))).rejects.toThrow();
      expect(await snapshot(h.store, run.id)).toEqual(before);
      expect(await h.store.listStepResults(run.id)).toHaveLength(1);
    });
  });
}

/** Writes issued together (as a node's workers do) stay independent: one rejected write takes no other with it. */
export function concurrentWriteCases(h: StoreHandle): void {
  /** the good run's checkpoint of a and start of b, issued around a failing write, committed */
  const expectGoodWrites = async (runId: string): Promise<void> => {
    expect((await h.store.listTransitions(runId)).map((t) => t.reason)).toEqual([
      "submitted",
      "claimed",
      "checkpoint",
      "started",
    ]);
  };

  describe("concurrent writes", () => {
    it("a rejected write issued alongside valid ones leaves them committed", async () => {
      const good = await claimedRun(h.store);
      const stale = await claimedRun(h.store);
      const staleLease = { ...stale.lease, epoch: stale.lease.epoch - 1 };
      const results = await Promise.allSettled([
        h.store.completeStep(good.lease, checkpoint("a")),
        h.store.completeStep(staleLease, checkpoint("a")),
        h.store.startStep(good.lease, "b", 1, "pending", NOW + 20),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "lease_lost" });
      expect((await h.store.listStepResults(good.run.id)).map((s) => s.step)).toEqual(["a"]);
      expect(await h.store.listStepResults(stale.run.id)).toEqual([]);
      await expectGoodWrites(good.run.id);
    });

    it("a write that fails after its first change keeps none of it, and the writes beside it commit", async () => {
      const good = await claimedRun(h.store);
      const twice = await claimedRun(h.store);
      await h.store.completeStep(twice.lease, checkpoint("a"));
      const before = await snapshot(h.store, twice.run.id);
      const results = await Promise.allSettled([
        h.store.completeStep(good.lease, checkpoint("a")),
        // the fence finishes the run, then the checkpoint of a is found stored already
        h.store.completeStep(twice.lease, checkpoint("a"), { done: true }),
        h.store.startStep(good.lease, "b", 1, "pending", NOW + 20),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await snapshot(h.store, twice.run.id)).toEqual(before);
      await expectGoodWrites(good.run.id);
    });

    it("every acknowledged write is visible to the next read", async () => {
      const runs = await Promise.all(Array.from({ length: 20 }, () => claimedRun(h.store)));
      await Promise.all(runs.map((r) => h.store.completeStep(r.lease, checkpoint("a"), { a: 1 })));
      for (const r of runs) expect((await h.store.getRun(r.run.id))?.status).toBe("succeeded");
    });
  });
}
