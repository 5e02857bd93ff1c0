import { describe, expect, it, type TestContext } from "vitest";
import { LeaseLostError } from "../../core/errors/run-errors.js";
import type { RunStatus } from "../../core/status.js";
import { IntegrityCode, problemsPerCode, rebuiltReason } from "../integrity.js";
import {
  NOW,
  checkpoint,
  claim,
  claimedRun,
  expectKeelError,
  failure,
  runInStatus,
  submitMany,
  type StoreHandle,
} from "./helpers.case.test.js";

/**
 * Direct writes a backend's test file offers, to break invariants the Store API never breaks
 * (a status edited by hand, a lost lease, checkpoints of a deleted run). Cases that need one are
 * skipped for a backend that offers none.
 */
export interface StoreTamper {
  setRunFields(
    runId: string,
    fields: {
      status?: RunStatus;
      nodeId?: string | null;
      leaseExpiresAt?: number | null;
      scheduledFor?: number;
      /** stored as it is: text that need not be JSON */
      output?: string;
    },
  ): Promise<void>;
  addCheckpointOfMissingRun(runId: string, step: string): Promise<void>;
  dropRunTransitions(runId: string): Promise<void>;
  /**
   * Optional: garbles one page of the index of runs by status on disk, as a failing disk would:
   * its page header (the page no longer parses) or one key in it (only a full check sees that).
   */
  damageIndex?(damage: "page" | "key"): Promise<void>;
  /** Optional: garbles the page header of one page of the runs table's rows on disk. */
  damageRows?(): Promise<void>;
}

export interface MaintenanceHandle extends StoreHandle {
  readonly tamper: StoreTamper | undefined;
}

const LATER = NOW + 60_000;

export function tamperOf(h: MaintenanceHandle, t: TestContext): StoreTamper {
  if (!h.tamper) t.skip("this backend offers no tamper helpers");
  return h.tamper as StoreTamper;
}

export function maintenanceCases(h: MaintenanceHandle): void {
  describe("integrity and state rebuild", () => {
    it("finds nothing wrong with runs in every status, and rebuilds nothing", async () => {
      const statuses: RunStatus[] = ["pending", "running", "succeeded", "quarantined", "cancelled"];
      const runs = await Promise.all(statuses.map((s) => runInStatus(h.store, s)));
      const retried = await claimedRun(h.store);
      await h.store.recordStepFailure(retried.lease, failure("a", 1, NOW + 10));
      await h.store.rescheduleRun(retried.lease, NOW + 1000, "retry", NOW + 10);
      const report = await h.store.checkIntegrity();
      expect(report).toMatchObject({ ok: true, problems: [], counts: {}, runs: runs.length + 1 });
      expect(report.schemaVersion).toBeGreaterThanOrEqual(1);
      expect(await h.store.rebuildStates(false, "cli", LATER)).toEqual([]);
      const before = await h.store.listTransitions(retried.run.id);
      expect(await h.store.rebuildStates(true, "cli", LATER)).toEqual([]);
      expect(await h.store.listTransitions(retried.run.id)).toEqual(before);
    });

    it("reports a status its transitions contradict; a preview writes nothing, apply rebuilds it", async (t) => {
      const tamper = tamperOf(h, t);
      const run = await runInStatus(h.store, "succeeded");
      await tamper.setRunFields(run.id, { status: "pending" });
      const report = await h.store.checkIntegrity();
      expect(report.ok).toBe(false);
      expect(report.counts).toEqual({ [IntegrityCode.statusMismatch]: 1 });
      expect(report.problems).toEqual([
        {
          code: IntegrityCode.statusMismatch,
          runId: run.id,
          message: expect.stringContaining(run.id),
        },
      ]);
      const diff = {
        runId: run.id,
        stored: "pending",
        rebuilt: "succeeded",
        lastTransition: "succeeded",
        code: IntegrityCode.statusMismatch,
      };
      expect(await h.store.rebuildStates(false, "cli", LATER)).toEqual([diff]);
      expect((await h.store.getRun(run.id))?.status).toBe("pending");

      expect(await h.store.rebuildStates(true, "cli", LATER)).toEqual([diff]);
      const after = await h.store.getRun(run.id);
      expect(after).toMatchObject({
        status: "succeeded",
        nodeId: null,
        finishedAt: run.finishedAt,
      });
      expect((await h.store.listTransitions(run.id)).at(-1)).toMatchObject({
        step: null,
        from: "pending",
        to: "succeeded",
        reason: rebuiltReason,
        actor: "cli",
        at: LATER,
      });
      expect(await h.store.checkIntegrity()).toMatchObject({ ok: true, problems: [] });
      expect(await h.store.rebuildStates(true, "cli", LATER + 1)).toEqual([]);
    });

    it("finds runs a listing cannot show (a time out of range, an output not JSON) and lists them marked", async (t) => {
      const tamper = tamperOf(h, t);
      const run = await runInStatus(h.store, "succeeded");
      const farOff = 9_000_000_000_000_000;
      await tamper.setRunFields(run.id, { scheduledFor: farOff, output: "{not json" });
      const report = await h.store.checkIntegrity();
      expect(report.counts).toEqual({ [IntegrityCode.unrenderableRun]: 1 });
      expect(report.problems).toEqual([
        {
          code: IntegrityCode.unrenderableRun,
          runId: run.id,
          message: expect.stringContaining(
            `run ${run.id} has scheduled_for = ${farOff}, an output that is not JSON`,
          ),
        },
      ]);
      const listed = (await h.store.listRuns({ limit: 10 })).runs.find((r) => r.id === run.id);
      expect(listed).toMatchObject({ output: null, scheduledFor: farOff, elided: { output: 9 } });
    });

    it("returns a running run that no node holds to pending, and fences out its old holder", async (t) => {
      const tamper = tamperOf(h, t);
      const held = await claimedRun(h.store);
      await tamper.setRunFields(held.run.id, { nodeId: null, leaseExpiresAt: null });
      expect((await h.store.checkIntegrity()).problems).toEqual([
        expect.objectContaining({ code: IntegrityCode.runningWithoutLease, runId: held.run.id }),
      ]);
      expect(await h.store.rebuildStates(true, "cli", LATER)).toEqual([
        {
          runId: held.run.id,
          stored: "running",
          rebuilt: "pending",
          lastTransition: "running",
          code: IntegrityCode.runningWithoutLease,
        },
      ]);
      const after = await h.store.getRun(held.run.id);
      expect(after).toMatchObject({ status: "pending", nodeId: null, leaseExpiresAt: null });
      expect(after?.leaseEpoch).toBeGreaterThan(held.lease.epoch);
      await expectKeelError(
        h.store.completeStep(held.lease, checkpoint("a"), {}),
        LeaseLostError,
        "lease_lost",
      );
      const again = await claim(h.store, { pipelines: [held.run.pipeline], now: LATER });
      expect(again.map((c) => c.run.id)).toEqual([held.run.id]);
    });

    it("rebuilds a terminal status with the finish time and quarantine reason of its trail", async (t) => {
      const tamper = tamperOf(h, t);
      const quarantined = await runInStatus(h.store, "quarantined", {
        quarantineReason: "timeout",
      });
      await tamper.setRunFields(quarantined.id, { status: "running", nodeId: "node-x" });
      const [diff] = await h.store.rebuildStates(true, "cli", LATER);
      expect(diff).toMatchObject({ stored: "running", rebuilt: "quarantined" });
      expect(await h.store.getRun(quarantined.id)).toMatchObject({
        status: "quarantined",
        quarantineReason: "timeout",
        finishedAt: quarantined.finishedAt,
        nodeId: null,
      });
    });

    it("reports checkpoints of a missing run and runs without transitions; rebuild leaves them", async (t) => {
      const tamper = tamperOf(h, t);
      const [kept, bare] = await submitMany(h.store, 2);
      if (!kept || !bare) throw new Error("expected two runs");
      await tamper.addCheckpointOfMissingRun("run_gone", "a");
      await tamper.dropRunTransitions(bare.id);
      const report = await h.store.checkIntegrity();
      expect(report.counts).toEqual({
        [IntegrityCode.orphanStepResult]: 1,
        [IntegrityCode.runWithoutTransitions]: 1,
      });
      expect(report.problems.map((p) => [p.code, p.runId])).toEqual(
        expect.arrayContaining([
          [IntegrityCode.orphanStepResult, "run_gone"],
          [IntegrityCode.runWithoutTransitions, bare.id],
        ]),
      );
      expect(await h.store.rebuildStates(true, "cli", LATER)).toEqual([]);
      expect((await h.store.getRun(bare.id))?.status).toBe("pending");
    });

    it("lists a bounded number of problems per code and counts them all", async (t) => {
      const tamper = tamperOf(h, t);
      const runs = await submitMany(h.store, problemsPerCode + 5);
      for (const run of runs) await tamper.setRunFields(run.id, { status: "cancelled" });
      const report = await h.store.checkIntegrity();
      expect(report.counts).toEqual({ [IntegrityCode.statusMismatch]: problemsPerCode + 5 });
      expect(report.problems).toHaveLength(problemsPerCode);
      expect(await h.store.rebuildStates(false, "cli", LATER)).toHaveLength(problemsPerCode + 5);
    });
  });
}
