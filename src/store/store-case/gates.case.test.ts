import { describe, expect, it } from "vitest";
import { GateNotOpenError } from "../../core/errors/gate-errors.js";
import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { GateDecision, GateOpening } from "../gates.js";
import type { Lease } from "../records.js";
import type { Store } from "../store.js";
import type { PeerHandle } from "./breakers.case.test.js";
import {
  NOW,
  checkpoint,
  claim,
  claimOne,
  claimedRun,
  errorInfo,
  expectKeelError,
  snapshot,
  soloPipeline,
} from "./helpers.case.test.js";

/**
 * Approval gates: a run that reached a gate waits pending (no node, no lease), due at the gate's
 * timeout and not counted as backlog; a decision is recorded once, only for a run waiting at an
 * open gate, audited, and makes the run due at once.
 */
const HOUR = 3_600_000;
const OPENED = NOW + 1000;

function opening(pipeline: string, overrides: Partial<GateOpening> = {}): GateOpening {
  return { gate: "review", pipeline, timeoutMs: 48 * HOUR, onTimeout: "reject", ...overrides };
}

function decision(runId: string, overrides: Partial<GateDecision> = {}): GateDecision {
  return {
    runId,
    gate: "review",
    approve: true,
    note: "checked the numbers",
    change: { actor: "cli:alice", at: OPENED + HOUR, audit: { action: "gate.approve" } },
    ...overrides,
  };
}

/** a run claimed, checkpointed past its first step and left waiting at gate "review" */
async function atGate(store: Store, overrides: Partial<GateOpening> = {}) {
  const pipeline = soloPipeline();
  const { lease } = await claimedRun(store, {}, { pipeline });
  await store.completeStep(lease, checkpoint("a"));
  const gate = await store.openGate(lease, opening(pipeline, overrides), OPENED);
  return { pipeline, lease, gate, runId: lease.runId };
}

export function gateCases(h: PeerHandle): void {
  describe("approval gates", () => {
    it("opening a gate leaves the run pending off the node, due at the timeout, not backlog", async () => {
      const { pipeline, runId, gate } = await atGate(h.store);
      expect(gate).toMatchObject({
        runId,
        gate: "review",
        pipeline,
        status: "open",
        openedAt: OPENED,
        timeoutAt: OPENED + 48 * HOUR,
        onTimeout: "reject",
        decidedBy: null,
      });
      const run = await h.store.getRun(runId);
      expect(run).toMatchObject({ status: "pending", nodeId: null, leaseExpiresAt: null });
      expect(run?.scheduledFor).toBe(OPENED + 48 * HOUR);
      expect((await h.store.listTransitions(runId)).at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "pending",
        reason: "gate_open:review",
      });
      expect((await h.store.countWaiting()).pending).toEqual([]);
      expect(await h.store.nextDueAt([pipeline])).toBe(OPENED + 48 * HOUR);
      expect(await h.store.countOpenGates()).toEqual([
        { pipeline, gate: "review", runs: 1, oldestOpenedAt: OPENED },
      ]);
      expect(await h.store.listOpenGates({ limit: 10 })).toEqual([gate]);
    });

    it("a gate reached again keeps its first opening and timeout", async () => {
      const { pipeline, runId } = await atGate(h.store);
      // the timeout passes: the run is claimed and, undecided, waits again with a longer timeout
      const later = OPENED + 48 * HOUR;
      const again = await claimOne(h.store, { pipelines: [pipeline], now: later });
      const gate = await h.store.openGate(
        again.lease,
        opening(pipeline, { timeoutMs: 99 * HOUR }),
        later,
      );
      expect(gate).toMatchObject({ openedAt: OPENED, timeoutAt: OPENED + 48 * HOUR });
      expect((await h.store.getRun(runId))?.scheduledFor).toBe(OPENED + 48 * HOUR);
    });

    it("a node that lost its lease opens no gate", async () => {
      const pipeline = soloPipeline();
      const { lease } = await claimedRun(h.store, {}, { pipeline });
      const stale: Lease = { ...lease, epoch: lease.epoch + 7 };
      const before = await snapshot(h.store, lease.runId);
      await expectKeelError(
        h.store.openGate(stale, opening(pipeline), OPENED),
        LeaseLostError,
        "lease_lost",
      );
      expect(await h.store.getGate(lease.runId, "review")).toBeUndefined();
      expect(await snapshot(h.store, lease.runId)).toEqual(before);
    });

    it("an approval records who, when and why, audits it, and makes the run due now", async () => {
      const { pipeline, runId } = await atGate(h.store);
      const d = decision(runId);
      const gate = await h.store.decideGate(d);
      expect(gate).toMatchObject({
        status: "approved",
        decidedAt: d.change.at,
        decidedBy: "cli:alice",
        note: "checked the numbers",
      });
      expect((await h.store.getRun(runId))?.scheduledFor).toBe(d.change.at);
      expect(await h.store.nextDueAt([pipeline])).toBe(d.change.at);
      // due again, it is backlog again; the gate no longer holds it
      expect((await h.store.countWaiting()).pending).toEqual([{ pipeline, runs: 1 }]);
      expect(await h.store.listOpenGates({ limit: 10 })).toEqual([]);
      const audit = await h.store.listAudit({ action: "gate.approve", limit: 5 });
      expect(audit.entries).toHaveLength(1);
      expect(audit.entries[0]).toMatchObject({
        actor: "cli:alice",
        target: runId,
        reason: "checked the numbers",
        details: { gate: "review", pipeline, waited_ms: HOUR },
      });
      expect(await h.store.getGate(runId, "review")).toEqual(gate);
    });

    it("refuses a decision on a gate never opened, already decided, or a run not waiting", async () => {
      const { pipeline, runId } = await atGate(h.store);
      const refused = async (d: GateDecision) => {
        const before = await snapshot(h.store, d.runId);
        const gate = await h.store.getGate(d.runId, d.gate);
        await expectKeelError(h.store.decideGate(d), GateNotOpenError, "gate_not_open");
        expect(await snapshot(h.store, d.runId)).toEqual(before);
        expect(await h.store.getGate(d.runId, d.gate)).toEqual(gate);
      };
      await refused(decision(runId, { gate: "publish" }));
      await h.store.decideGate(decision(runId, { approve: false }));
      await refused(decision(runId));
      // a run held by a node is not waiting at its gate, even with the gate open
      const other = await atGate(h.store);
      await claimOne(h.store, { pipelines: [other.pipeline], now: other.gate.timeoutAt });
      await refused(decision(other.runId));
      expect((await h.store.listAudit({ limit: 10 })).entries).toHaveLength(1);
      expect(pipeline).not.toBe(other.pipeline);
    });

    it("two operators deciding at once: exactly one decision is recorded", async () => {
      const { runId } = await atGate(h.store);
      const other = h.peer ?? h.store;
      const results = await Promise.allSettled([
        h.store.decideGate(decision(runId, { note: "yes" })),
        other.decideGate(
          decision(runId, {
            approve: false,
            note: "no",
            change: { actor: "cli:bob", at: OPENED + HOUR, audit: { action: "gate.reject" } },
          }),
        ),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: "gate_not_open" });
      const gate = await h.store.getGate(runId, "review");
      expect(gate?.note).toBe((won[0] as PromiseFulfilledResult<{ note: string }>).value.note);
      expect((await h.store.listAudit({ limit: 10 })).entries).toHaveLength(1);
    });

    it("the timeout decides by the gate's policy, unless a person decided first", async () => {
      for (const onTimeout of ["reject", "approve"] as const) {
        const { pipeline, runId, gate } = await atGate(h.store, { onTimeout });
        const { lease } = await claimOne(h.store, { pipelines: [pipeline], now: gate.timeoutAt });
        const decided = await h.store.timeOutGate(lease, "review", gate.timeoutAt);
        expect(decided).toMatchObject({
          status: onTimeout === "approve" ? "approved" : "rejected",
          decidedBy: "timeout",
          decidedAt: gate.timeoutAt,
        });
        expect(decided.note).toContain("48h");
        // a second look finds it decided: the first decision stands
        const again = await h.store.timeOutGate(lease, "review", gate.timeoutAt + 5);
        expect(again).toEqual(decided);
        expect(runId).toBe(lease.runId);
      }
    });

    it("lists open gates by pipeline, oldest first, leaving out runs cancelled there", async () => {
      const first = await atGate(h.store);
      const second = await atGate(h.store);
      const cancelled = await atGate(h.store);
      await h.store.cancelRun(cancelled.runId, { reason: "obsolete", actor: "t", at: OPENED + 5 });
      expect((await h.store.listOpenGates({ limit: 10 })).map((g) => g.runId)).toEqual([
        first.runId,
        second.runId,
      ]);
      expect(
        (await h.store.listOpenGates({ pipeline: second.pipeline, limit: 10 })).map((g) => g.runId),
      ).toEqual([second.runId]);
      expect(await h.store.listOpenGates({ limit: 1 })).toHaveLength(1);
    });

    it("a retry of a run rejected at its gate opens the gate anew", async () => {
      const { pipeline, runId } = await atGate(h.store);
      await h.store.decideGate(decision(runId, { approve: false }));
      const { lease } = await claimOne(h.store, { pipelines: [pipeline], now: OPENED + 2 * HOUR });
      await h.store.quarantineRun(
        lease,
        "gate:review",
        errorInfo("gate:review"),
        OPENED + 2 * HOUR,
      );
      await h.store.retryRun(runId, {
        clearSteps: [],
        note: "fixed",
        actor: "t",
        now: OPENED + 3 * HOUR,
      });
      expect(await h.store.getGate(runId, "review")).toBeUndefined();
      const claimed = await claim(h.store, { pipelines: [pipeline], now: OPENED + 3 * HOUR });
      expect(claimed.map((c) => c.run.id)).toEqual([runId]);
    });
  });
}
