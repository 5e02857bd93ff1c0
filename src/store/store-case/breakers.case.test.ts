import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { BreakerDefinition } from "../breakers.js";
import type { Store } from "../store.js";
import {
  NOW,
  NODE_B,
  checkpoint,
  claim,
  claimedRun,
  expectKeelError,
  soloPipeline,
  submit,
  type StoreHandle,
} from "./helpers.case.test.js";

/** A second store on the same data, as another node has it (optional per backend). */
export interface PeerHandle extends StoreHandle {
  readonly peer: Store | undefined;
}

const api: BreakerDefinition = {
  name: "embedding-api",
  failureThreshold: 3,
  recoveryTimeoutMs: 10_000,
  halfOpenRequests: 2,
  probe: false,
};

async function failTimes(store: Store, n: number, at = NOW): Promise<void> {
  for (let i = 0; i < n; i++)
    await store.signalBreaker(api.name, { kind: "failure", code: "econnrefused" }, "node-a", at);
}

/** A run of its own pipeline, claimed and deferred by the api breaker until `until`. */
async function deferred(store: Store, until: number, priority = 0, createdAt = NOW) {
  const claimed = await claimedRun(store, {}, { priority, createdAt, scheduledFor: createdAt });
  await store.deferRun(claimed.lease, api.name, until, NOW + 1);
  return claimed;
}

export function breakerCases(h: PeerHandle): void {
  describe("breakers", () => {
    it("upserts policies without touching state, and lists breakers by name", async () => {
      await h.store.upsertBreakers([api, { ...api, name: "aaa", probe: true }], "node-a", NOW);
      await failTimes(h.store, 3);
      await h.store.upsertBreakers([{ ...api, failureThreshold: 9 }], "node-b", NOW + 1);
      const list = await h.store.listBreakers();
      expect(list.map((b) => b.name)).toEqual(["aaa", api.name]);
      expect(list[0]).toMatchObject({ state: "closed", probe: true, failures: 0, manual: false });
      expect(await h.store.getBreaker(api.name)).toMatchObject({
        state: "open",
        failureThreshold: 9,
        recoveryTimeoutMs: 10_000,
        halfOpenRequests: 2,
        openedAt: NOW,
        updatedBy: "node-a",
      });
      expect(await h.store.getBreaker("nope")).toBeUndefined();
    });

    it("opens once at the threshold-th consecutive failure; a success starts the count over", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 2);
      await h.store.signalBreaker(api.name, { kind: "success" }, "node-a", NOW);
      await failTimes(h.store, 2);
      expect(await h.store.getBreaker(api.name)).toMatchObject({ state: "closed", failures: 2 });
      const change = await h.store.signalBreaker(
        api.name,
        { kind: "failure", code: "timeout" },
        "node-b",
        NOW + 5,
      );
      expect(change.transition).toMatchObject({
        breaker: api.name,
        from: "closed",
        to: "open",
        reason: "failure_threshold",
        actor: "node-b",
        at: NOW + 5,
        details: { code: "timeout", message: "3 consecutive failures, the last timeout" },
      });
      expect(change.breaker).toMatchObject({ state: "open", openedAt: NOW + 5, failures: 0 });
      // failures while open change nothing
      await failTimes(h.store, 5, NOW + 6);
      const history = await h.store.listBreakerTransitions({ breaker: api.name, limit: 10 });
      expect(history.map((t) => `${t.from}->${t.to}:${t.reason}`)).toEqual([
        "closed->open:failure_threshold",
      ]);
    });

    it("an unknown breaker reported by a node starts with the default policy", async () => {
      await h.store.signalBreaker("ghost", { kind: "failure", code: "x" }, "node-a", NOW);
      expect(await h.store.getBreaker("ghost")).toMatchObject({
        state: "closed",
        failures: 1,
        failureThreshold: 5,
        recoveryTimeoutMs: 60_000,
        halfOpenRequests: 3,
      });
    });

    it("two writers racing: every failure counts and the breaker opens exactly once", async () => {
      const other = h.peer ?? h.store;
      await h.store.upsertBreakers([{ ...api, failureThreshold: 10 }], "node-a", NOW);
      const reports = Array.from({ length: 24 }, (_, i) =>
        (i % 2 === 0 ? h.store : other).signalBreaker(
          api.name,
          { kind: "failure", code: "econnreset" },
          i % 2 === 0 ? "node-a" : NODE_B,
          NOW + i,
        ),
      );
      const changes = await Promise.all(reports);
      expect(changes.filter((c) => c.transition !== null)).toHaveLength(1);
      expect(await other.getBreaker(api.name)).toMatchObject({ state: "open" });
      const history = await h.store.listBreakerTransitions({ limit: 10 });
      expect(history.map((t) => t.to)).toEqual(["open"]);
      // trial slots, raced the same way, are never handed out twice
      const late = NOW + 60_000;
      const trials = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (i % 2 === 0 ? h.store : other).signalBreaker(api.name, { kind: "trial" }, "n", late),
        ),
      );
      expect(trials.filter((t) => t.granted)).toHaveLength(2);
    });

    it("without a probe: no trial before the backoff, then half-open trials close it", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 3);
      const open = await h.store.getBreaker(api.name);
      expect(open?.nextAttemptAt).toBe(NOW + 1000);
      const early = await h.store.signalBreaker(api.name, { kind: "trial" }, "node-a", NOW + 999);
      expect(early).toMatchObject({ granted: false, transition: null });
      const first = await h.store.signalBreaker(api.name, { kind: "trial" }, "node-a", NOW + 1000);
      expect(first.granted).toBe(true);
      expect(first.transition).toMatchObject({ to: "half_open", reason: "backoff_elapsed" });
      expect(
        (await h.store.signalBreaker(api.name, { kind: "trial" }, "node-b", NOW + 1001)).granted,
      ).toBe(true);
      expect(
        (await h.store.signalBreaker(api.name, { kind: "trial" }, "node-b", NOW + 1002)).granted,
      ).toBe(false);
      await h.store.signalBreaker(api.name, { kind: "success" }, "node-a", NOW + 1100);
      const closed = await h.store.signalBreaker(
        api.name,
        { kind: "success" },
        "node-b",
        NOW + 1200,
      );
      expect(closed.transition).toMatchObject({
        from: "half_open",
        to: "closed",
        reason: "trials_succeeded",
      });
      expect(closed.breaker).toMatchObject({
        state: "closed",
        openedAt: null,
        nextAttemptAt: null,
      });
    });

    it("a failed trial opens it again with a longer backoff, up to the recovery timeout", async () => {
      await h.store.upsertBreakers([{ ...api, recoveryTimeoutMs: 3000 }], "node-a", NOW);
      await failTimes(h.store, 3);
      let at = NOW;
      const waits: number[] = [];
      for (let round = 0; round < 4; round++) {
        const b = await h.store.getBreaker(api.name);
        waits.push((b?.nextAttemptAt ?? 0) - at);
        at = b?.nextAttemptAt ?? 0;
        expect((await h.store.signalBreaker(api.name, { kind: "trial" }, "n", at)).granted).toBe(
          true,
        );
        const reopened = await h.store.signalBreaker(
          api.name,
          { kind: "failure", code: "econnrefused" },
          "n",
          at,
        );
        expect(reopened.transition).toMatchObject({ from: "half_open", reason: "trial_failed" });
      }
      expect(waits).toEqual([1000, 2000, 3000, 3000]);
    });

    it("trial slots never answered are handed out again after the recovery timeout", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 3);
      const t = NOW + 1000;
      for (let i = 0; i < 2; i++) await h.store.signalBreaker(api.name, { kind: "trial" }, "n", t);
      expect((await h.store.signalBreaker(api.name, { kind: "trial" }, "n", t + 1)).granted).toBe(
        false,
      );
      const again = await h.store.signalBreaker(api.name, { kind: "trial" }, "n", t + 10_000);
      expect(again).toMatchObject({ granted: true, transition: null });
    });

    it("a probe's success half-opens it and wakes as many deferred runs as it has trials, in order", async () => {
      await h.store.upsertBreakers([{ ...api, probe: true }], "node-a", NOW);
      await failTimes(h.store, 3);
      expect((await h.store.getBreaker(api.name))?.nextAttemptAt).toBe(NOW + 10_000);
      const until = NOW + 10_000;
      const low = await deferred(h.store, until, 0, NOW - 30);
      const high = await deferred(h.store, until, 5, NOW - 10);
      const older = await deferred(h.store, until, 0, NOW - 50);
      const change = await h.store.signalBreaker(api.name, { kind: "probe_ok" }, "node-a", NOW + 2);
      expect(change.transition).toMatchObject({ to: "half_open", reason: "probe_succeeded" });
      expect(change.woken).toBe(2);
      expect((await h.store.getRun(high.run.id))?.scheduledFor).toBe(NOW - 10);
      expect((await h.store.getRun(older.run.id))?.scheduledFor).toBe(NOW - 50);
      expect((await h.store.getRun(low.run.id))?.scheduledFor).toBe(until);
      // closing wakes the rest
      await h.store.signalBreaker(api.name, { kind: "success" }, "n", NOW + 3);
      const closed = await h.store.signalBreaker(api.name, { kind: "success" }, "n", NOW + 4);
      expect(closed.woken).toBe(1);
      expect((await h.store.getRun(low.run.id))?.scheduledFor).toBe(NOW - 30);
    });

    it("a failed trial brings as many deferred runs forward as carry the next trial", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 3);
      const t = NOW + 1000;
      await h.store.signalBreaker(api.name, { kind: "trial" }, "n", t);
      const deadline = t + api.recoveryTimeoutMs;
      const runs = [
        await deferred(h.store, deadline, 0, NOW - 3),
        await deferred(h.store, deadline, 0, NOW - 2),
        await deferred(h.store, deadline, 0, NOW - 1),
      ];
      const reopened = await h.store.signalBreaker(
        api.name,
        { kind: "failure", code: "econnrefused" },
        "n",
        t + 5,
      );
      expect(reopened).toMatchObject({ transition: { reason: "trial_failed" }, woken: 2 });
      const next = t + 5 + 2000;
      expect(reopened.breaker.nextAttemptAt).toBe(next);
      const due = await Promise.all(
        runs.map(async (r) => (await h.store.getRun(r.run.id))?.scheduledFor),
      );
      expect(due).toEqual([next, next, deadline]);
    });

    it("defers a run without spending an attempt, fenced by its lease", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 3);
      const claimed = await claimedRun(h.store);
      await h.store.deferRun(claimed.lease, api.name, NOW + 1000, NOW + 1);
      const run = await h.store.getRun(claimed.run.id);
      expect(run).toMatchObject({
        status: "pending",
        attempts: 0,
        stepAttempts: {},
        scheduledFor: NOW + 1000,
        nodeId: null,
        error: null,
      });
      const last = (await h.store.listTransitions(claimed.run.id)).at(-1);
      expect(last).toMatchObject({
        step: null,
        from: "running",
        to: "pending",
        reason: `breaker_open:${api.name}`,
        details: { breaker: api.name, until: NOW + 1000 },
      });
      await expectKeelError(
        h.store.deferRun(claimed.lease, api.name, NOW + 1000, NOW + 2),
        LeaseLostError,
        "lease_lost",
      );
    });

    it("a run deferred after its breaker closed is due at once", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      const claimed = await claimedRun(h.store);
      await h.store.deferRun(claimed.lease, api.name, NOW + 60_000, NOW + 1);
      expect((await h.store.getRun(claimed.run.id))?.scheduledFor).toBe(NOW + 1);
    });

    it("a run rescheduled for a retry is not made due early by its old breaker", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 3);
      const pipeline = soloPipeline();
      const first = await claimedRun(h.store, {}, { pipeline });
      await h.store.deferRun(first.lease, api.name, NOW + 100, NOW + 1);
      const [again] = await claim(h.store, { pipelines: [pipeline], now: NOW + 100 });
      expect(again?.run.id).toBe(first.run.id);
      await h.store.rescheduleRun(again!.lease, NOW + 50_000, "retry_scheduled", NOW + 101);
      await h.store.resetBreaker(api.name, { reason: null, actor: "cli:dave", at: NOW + 102 });
      expect((await h.store.getRun(first.run.id))?.scheduledFor).toBe(NOW + 50_000);
    });

    it("trip holds a breaker open until reset, each audited in its transaction", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      const tripped = await h.store.tripBreaker(api.name, {
        reason: "vendor outage",
        actor: "cli:dave",
        at: NOW + 1,
        audit: { action: "breaker.trip" },
      });
      const pending = await deferred(h.store, NOW + 600_000);
      expect(tripped.breaker).toMatchObject({
        state: "open",
        manual: true,
        reason: "tripped by cli:dave: vendor outage",
      });
      expect(tripped.transition).toMatchObject({
        from: "closed",
        to: "open",
        reason: "operator_trip",
        actor: "cli:dave",
        details: { note: "vendor outage" },
      });
      const later = NOW + 86_400_000;
      expect((await h.store.signalBreaker(api.name, { kind: "trial" }, "n", later)).granted).toBe(
        false,
      );
      const probed = await h.store.signalBreaker(api.name, { kind: "probe_ok" }, "n", later);
      expect(probed.transition).toBeNull();
      const reset = await h.store.resetBreaker(api.name, {
        reason: "vendor fixed it",
        actor: "cli:erin",
        at: later,
        audit: { action: "breaker.reset" },
      });
      expect(reset).toMatchObject({
        woken: 1,
        transition: { from: "open", to: "closed", reason: "operator_reset" },
        breaker: { state: "closed", manual: false },
      });
      expect((await h.store.getRun(pending.run.id))?.scheduledFor).toBe(NOW);
      const audit = await h.store.listAudit({ limit: 10 });
      expect(audit.entries.map((e) => [e.action, e.actor, e.target, e.reason, e.details])).toEqual([
        ["breaker.reset", "cli:erin", api.name, "vendor fixed it", { from: "open" }],
        ["breaker.trip", "cli:dave", api.name, "vendor outage", { from: "closed" }],
      ]);
    });

    it("refuses to trip or reset an unknown breaker, writing nothing", async () => {
      await expectKeelError(
        h.store.tripBreaker("ghost", {
          reason: "r",
          actor: "cli:dave",
          at: NOW,
          audit: { action: "breaker.trip" },
        }),
        NotFoundError,
        "not_found",
      );
      await expectKeelError(
        h.store.resetBreaker("ghost", {
          reason: null,
          actor: "cli:dave",
          at: NOW,
          audit: { action: "breaker.reset" },
        }),
        NotFoundError,
        "not_found",
      );
      expect(await h.store.listBreakers()).toEqual([]);
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });

    it("records a checkpoint served by a fallback as degraded", async () => {
      const { lease } = await claimedRun(h.store);
      await h.store.completeStep(lease, checkpoint("a"));
      await h.store.completeStep(
        lease,
        checkpoint("b", { degraded: { cause: `breaker_open:${api.name}` } }),
        { b: 1 },
      );
      const steps = await h.store.listStepResults(lease.runId);
      expect(steps.map((s) => [s.step, s.degraded])).toEqual([
        ["a", false],
        ["b", true],
      ]);
      const transitions = await h.store.listTransitions(lease.runId);
      expect(transitions.find((t) => t.step === "b")).toMatchObject({
        reason: "fallback",
        details: { degraded: true, cause: `breaker_open:${api.name}` },
      });
    });

    it("a pending run submitted anew is not touched by a breaker's wake-up", async () => {
      await h.store.upsertBreakers([api], "node-a", NOW);
      await failTimes(h.store, 3);
      const fresh = await submit(h.store, { scheduledFor: NOW + 5000 });
      await h.store.resetBreaker(api.name, { reason: null, actor: "cli:dave", at: NOW + 1 });
      expect((await h.store.getRun(fresh.id))?.scheduledFor).toBe(NOW + 5000);
    });
  });
}
