import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../core/errors/definition-errors.js";
import type { RunRecord } from "../records.js";
import type { Store } from "../store.js";
import {
  NOW,
  claimedRun,
  expectKeelError,
  runInStatus,
  snapshot,
  type StoreHandle,
} from "./helpers.case.test.js";

const DAY = 86_400_000;

/** A run cancelled (finished) at `at`. */
async function cancelledAt(store: Store, at: number): Promise<RunRecord> {
  const run = await runInStatus(store, "pending");
  return store.cancelRun(run.id, { reason: "test", actor: "tester", at });
}

export function retentionCases(h: StoreHandle): void {
  describe("deleteEndedRuns", () => {
    it("deletes old cancelled runs oldest first, at most limit, with their transitions", async () => {
      const oldest = await cancelledAt(h.store, NOW + DAY);
      const older = await cancelledAt(h.store, NOW + 2 * DAY);
      const recent = await cancelledAt(h.store, NOW + 40 * DAY);
      const keptRecent = await snapshot(h.store, recent.id);
      const cutoff = NOW + 30 * DAY;
      expect(
        await h.store.deleteEndedRuns({ status: "cancelled", finishedBefore: cutoff, limit: 1 }),
      ).toBe(1);
      expect(await snapshot(h.store, oldest.id)).toEqual({
        run: undefined,
        steps: [],
        transitions: [],
      });
      expect(await h.store.getRun(older.id)).toBeDefined();
      expect(
        await h.store.deleteEndedRuns({ status: "cancelled", finishedBefore: cutoff, limit: 10 }),
      ).toBe(1);
      expect(await h.store.getRun(older.id)).toBeUndefined();
      // nothing left before the cutoff: a repeat deletes nothing
      expect(
        await h.store.deleteEndedRuns({ status: "cancelled", finishedBefore: cutoff, limit: 10 }),
      ).toBe(0);
      expect(await snapshot(h.store, recent.id)).toEqual(keptRecent);
    });

    it("deletes succeeded runs with their checkpoints, and never a run of another status", async () => {
      const pending = await runInStatus(h.store, "pending");
      const { lease } = await claimedRun(h.store);
      const running = (await h.store.getRun(lease.runId)) as RunRecord;
      const quarantined = await runInStatus(h.store, "quarantined");
      const cancelled = await runInStatus(h.store, "cancelled");
      const succeeded = await runInStatus(h.store, "succeeded");
      expect((await h.store.listStepResults(succeeded.id)).length).toBe(1);
      const kept = await Promise.all(
        [pending, running, quarantined, cancelled].map((r) => snapshot(h.store, r.id)),
      );
      const farFuture = NOW + 10_000 * DAY;
      expect(
        await h.store.deleteEndedRuns({
          status: "succeeded",
          finishedBefore: farFuture,
          limit: 100,
        }),
      ).toBe(1);
      expect(await snapshot(h.store, succeeded.id)).toEqual({
        run: undefined,
        steps: [],
        transitions: [],
      });
      for (const before of kept)
        expect(await snapshot(h.store, before.run?.id as string)).toEqual(before);
    });

    it("never lets a transition id be handed out again after deleting the newest", async () => {
      const run = await cancelledAt(h.store, NOW + DAY);
      const highest = (await h.store.listTransitions(run.id)).at(-1)?.id as number;
      await h.store.deleteEndedRuns({
        status: "cancelled",
        finishedBefore: NOW + 2 * DAY,
        limit: 5,
      });
      const next = await runInStatus(h.store, "pending");
      const fresh = await h.store.listTransitionsAfter({ afterId: highest, limit: 10 });
      expect(fresh.map((t) => t.runId)).toEqual([next.id]);
    });

    it("refuses quarantined, pending or running runs and a bad batch size, deleting nothing", async () => {
      const quarantined = await runInStatus(h.store, "quarantined");
      const kept = await snapshot(h.store, quarantined.id);
      for (const status of ["quarantined", "pending", "running"])
        await expectKeelError(
          h.store.deleteEndedRuns({
            status: status as never,
            finishedBefore: NOW + 10_000 * DAY,
            limit: 10,
          }),
          InvalidInputError,
          "invalid_input",
        );
      await expectKeelError(
        h.store.deleteEndedRuns({ status: "succeeded", finishedBefore: NOW, limit: 0 }),
        InvalidInputError,
        "invalid_input",
      );
      expect(await snapshot(h.store, quarantined.id)).toEqual(kept);
    });
  });
}

export function vacuumCases(h: StoreHandle): void {
  describe("vacuum", () => {
    it("vacuums keel's tables and keeps every row", async () => {
      const kept = await runInStatus(h.store, "succeeded");
      const before = await snapshot(h.store, kept.id);
      const gone = await cancelledAt(h.store, NOW + DAY);
      await h.store.deleteEndedRuns({
        status: "cancelled",
        finishedBefore: NOW + 2 * DAY,
        limit: 5,
      });
      const report = await h.store.vacuum();
      expect(report.tables).toEqual(
        expect.arrayContaining(["runs", "step_results", "transitions"]),
      );
      expect(report.bytesBefore).toBeGreaterThan(0);
      expect(report.bytesAfter).toBeGreaterThan(0);
      expect(await snapshot(h.store, kept.id)).toEqual(before);
      expect(await h.store.getRun(gone.id)).toBeUndefined();
      // the store goes on taking writes afterwards
      expect((await runInStatus(h.store, "pending")).status).toBe("pending");
    });
  });
}
