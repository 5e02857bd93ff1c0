import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import { IllegalTransitionError, LeaseLostError } from "../../core/errors/run-errors.js";
import type { RunStatus } from "../../core/status.js";
import type { Lease } from "../records.js";
import type { Store } from "../store.js";
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
  expectKeelError,
  failure,
  runInStatus,
  snapshot,
  submit,
  type StoreHandle,
} from "./helpers.case.test.js";

/**
 * Ways a node ends up holding a lease that no longer counts: taken over, forged, cancelled,
 * recovered, released, or ended by the holder's own last write. Each leaves one checkpoint behind.
 */
const staleLeases: Record<string, (store: Store) => Promise<Lease>> = {
  "the epoch of a previous claim": async (store) => {
    const first = await claimedRun(store);
    await store.completeStep(first.lease, checkpoint("a"));
    await store.returnRun(first.lease, "stopping", NOW + 300);
    const second = await claimOne(store, {
      pipelines: [first.run.pipeline],
      nodeId: NODE_A,
      now: NOW + 400,
    });
    expect(second.lease.epoch).not.toBe(first.lease.epoch);
    return first.lease;
  },
  "another node's id": async (store) => {
    const { lease } = await claimedRun(store);
    await store.completeStep(lease, checkpoint("a"));
    return { ...lease, nodeId: NODE_B };
  },
  "a run cancelled meanwhile": async (store) => {
    const { lease } = await claimedRun(store);
    await store.completeStep(lease, checkpoint("a"));
    await store.cancelRun(lease.runId, {
      reason: "operator asked",
      actor: "operator",
      at: NOW + 300,
    });
    return lease;
  },
  "a lease that expired and was recovered": async (store) => {
    const { lease } = await claimedRun(store, { leaseMs: 1000 });
    await store.completeStep(lease, checkpoint("a"));
    expect(await store.recoverExpiredLeases(NOW + 5000)).toEqual([lease.runId]);
    return lease;
  },
  "a node whose runs were released": async (store) => {
    const { lease } = await claimedRun(store);
    await store.completeStep(lease, checkpoint("a"));
    expect(await store.releaseNodeRuns(NODE_A, "node_dead", NOW + 300)).toEqual([lease.runId]);
    return lease;
  },
  "a run its holder already gave back": async (store) => {
    const { lease } = await claimedRun(store);
    await store.completeStep(lease, checkpoint("a"));
    await store.returnRun(lease, "stopping", NOW + 300);
    return lease;
  },
  "a run its holder already finished": async (store) => {
    const { lease } = await claimedRun(store);
    await store.completeStep(lease, checkpoint("a"), { done: true });
    return lease;
  },
  "a run its holder already quarantined": async (store) => {
    const { lease } = await claimedRun(store);
    await store.completeStep(lease, checkpoint("a"));
    await store.quarantineRun(lease, "max_attempts", errorInfo("max_attempts"), NOW + 300);
    return lease;
  },
};

const AT = NOW + 1000;

/** Every write that needs a lease; each would change the run if the lease were good. */
const leasedWrites: Record<string, (store: Store, lease: Lease) => Promise<void>> = {
  startStep: (store, lease) => store.startStep(lease, "b", 1, "pending", AT),
  completeStep: (store, lease) =>
    store.completeStep(lease, checkpoint("b", { startedAt: AT, finishedAt: AT + 1 })),
  "completeStep with run output": (store, lease) =>
    store.completeStep(lease, checkpoint("b", { startedAt: AT, finishedAt: AT + 1 }), {
      done: true,
    }),
  recordStepFailure: (store, lease) => store.recordStepFailure(lease, failure("b", 1, AT)),
  rescheduleRun: (store, lease) => store.rescheduleRun(lease, AT + 60_000, "retry", AT),
  quarantineRun: (store, lease) =>
    store.quarantineRun(lease, "max_attempts", errorInfo("max_attempts", "b"), AT),
  returnRun: (store, lease) => store.returnRun(lease, "stopping", AT),
};

/** a lease as a node's heartbeat makes it (runId, nodeId, epoch), without the claim's trace id */
function withoutTraceId({ traceId, ...lease }: Lease): Lease {
  expect(traceId).toEqual(expect.any(String));
  return lease;
}

export function fencingCases(h: StoreHandle): void {
  describe("writes under a stale lease", () => {
    for (const [how, makeStale] of Object.entries(staleLeases)) {
      describe(`with ${how}`, () => {
        for (const [name, write] of Object.entries(leasedWrites)) {
          for (const form of ["claim's lease", "lease without its trace id"])
            it(`${name} throws LeaseLostError and changes nothing (${form})`, async () => {
              const stale = await makeStale(h.store);
              const lease = form === "claim's lease" ? stale : withoutTraceId(stale);
              const before = await snapshot(h.store, lease.runId);
              const error = await expectKeelError(
                write(h.store, lease),
                LeaseLostError,
                "lease_lost",
              );
              expect(error.details).toMatchObject({ runId: lease.runId, epoch: lease.epoch });
              expect(await snapshot(h.store, lease.runId)).toEqual(before);
            });
        }
      });
    }
  });

  describe("writes under a good lease", () => {
    it("write the same rows with the claim's lease and with one without its trace id", async () => {
      const written = [];
      for (const strip of [false, true]) {
        const { run, lease } = await claimedRun(h.store);
        const use = strip ? withoutTraceId(lease) : lease;
        await h.store.startStep(use, "a", 1, "pending", NOW + 10);
        await h.store.recordStepFailure(use, failure("a", 1, NOW + 20));
        await h.store.completeStep(
          use,
          checkpoint("b", {
            startedAt: NOW + 30,
            finishedAt: NOW + 40,
            start: { from: "pending", at: NOW + 30 },
          }),
          { done: true },
        );
        const transitions = await h.store.listTransitions(run.id);
        expect(new Set(transitions.map((t) => t.traceId))).toEqual(new Set([run.traceId]));
        const after = await h.store.getRun(run.id);
        expect(after).toMatchObject({ status: "succeeded", output: { done: true }, nodeId: null });
        written.push({
          transitions: transitions.map(({ id: _, runId: __, traceId: ___, ...t }) => t),
          steps: (await h.store.listStepResults(run.id)).map(({ runId: _, ...s }) => s),
        });
      }
      expect(written[1]).toEqual(written[0]);
    });
  });

  describe("cancelRun", () => {
    it("cancels a pending run, which is then never claimed", async () => {
      const run = await submit(h.store);
      const cancelled = await h.store.cancelRun(run.id, {
        reason: "not needed",
        actor: "operator",
        at: NOW + 10,
      });
      expect(cancelled).toMatchObject({
        id: run.id,
        status: "cancelled",
        finishedAt: NOW + 10,
        updatedAt: NOW + 10,
        nodeId: null,
        leaseExpiresAt: null,
      });
      expect(await h.store.getRun(run.id)).toEqual(cancelled);
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: null,
        from: "pending",
        to: "cancelled",
        reason: "not needed",
        actor: "operator",
        at: NOW + 10,
        traceId: run.traceId,
      });
      expect(await claim(h.store, { now: NOW + 20 })).toEqual([]);
      expect(await h.store.nextDueAt(["p1"])).toBeNull();
    });

    it("cancels a running run and fences its holder out", async () => {
      const { run, lease } = await claimedRun(h.store);
      const cancelled = await h.store.cancelRun(run.id, {
        reason: "operator asked",
        actor: "operator",
        at: NOW + 10,
      });
      expect(cancelled).toMatchObject({
        status: "cancelled",
        finishedAt: NOW + 10,
        nodeId: null,
        leaseExpiresAt: null,
      });
      expect(cancelled.leaseEpoch).toBeGreaterThan(lease.epoch);
      expect(await h.store.getRun(run.id)).toEqual(cancelled);
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "cancelled",
        reason: "operator asked",
        actor: "operator",
        at: NOW + 10,
      });
      expect(await h.store.heartbeat(NODE_A, NOW + 20, LEASE_MS)).toEqual([]);
      await expectKeelError(
        h.store.startStep(lease, "a", 1, "pending", NOW + 20),
        LeaseLostError,
        "lease_lost",
      );
    });

    const finished: RunStatus[] = ["succeeded", "quarantined", "cancelled"];
    for (const status of finished) {
      it(`refuses to cancel a ${status} run and changes nothing`, async () => {
        const run = await runInStatus(h.store, status);
        const before = await snapshot(h.store, run.id);
        const error = await expectKeelError(
          h.store.cancelRun(run.id, { reason: "too late", actor: "operator", at: NOW + 1000 }),
          IllegalTransitionError,
          "illegal_transition",
        );
        expect(error.details).toMatchObject({ from: status, to: "cancelled" });
        expect(await snapshot(h.store, run.id)).toEqual(before);
      });
    }

    it("throws NotFoundError for an unknown run", async () => {
      await expectKeelError(
        h.store.cancelRun("run_00000000000000000000000000", {
          reason: "x",
          actor: "operator",
          at: NOW,
        }),
        NotFoundError,
        "not_found",
      );
      expect(await h.store.countRunsByStatus()).toMatchObject({ cancelled: 0 });
    });
  });
}
