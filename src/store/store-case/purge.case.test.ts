import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../core/errors/definition-errors.js";
import { runStatuses } from "../../core/status.js";
import type { PurgeRequest } from "../operator-requests.js";
import type { RunRecord } from "../records.js";
import {
  NOW,
  checkpoint,
  claimedRun,
  errorInfo,
  expectKeelError,
  runInStatus,
  snapshot,
  type RunSnapshot,
  type StoreHandle,
} from "./helpers.case.test.js";
import type { Store } from "../store.js";

/** A run with one checkpoint, quarantined at `at` for `reason`. */
async function quarantinedAt(store: Store, at: number, reason: string): Promise<RunRecord> {
  const { lease } = await claimedRun(store);
  await store.startStep(lease, "a", 1, "pending", NOW + 1);
  await store.completeStep(lease, checkpoint("a"));
  await store.quarantineRun(lease, reason, errorInfo(reason, "b"), at);
  return (await store.getRun(lease.runId)) as RunRecord;
}

const DAY = 86_400_000;
const purgeAt = NOW + 100 * DAY;
const request = (overrides: Partial<PurgeRequest> = {}): PurgeRequest => ({
  status: "quarantined",
  dryRun: false,
  actor: "cli:carol",
  now: purgeAt,
  ...overrides,
});

export function purgeCases(h: StoreHandle): void {
  describe("purgeRuns", () => {
    it("never lets a transition id be handed out again, though the newest transitions were purged", async () => {
      const older = await quarantinedAt(h.store, NOW + DAY, "max_attempts");
      const newest = await quarantinedAt(h.store, NOW + DAY, "max_attempts");
      const seen = await h.store.listTransitionsAfter({ afterId: 0, limit: 1000 });
      const highest = Math.max(...seen.map((t) => t.id));
      expect((await h.store.listTransitions(newest.id)).at(-1)?.id).toBe(highest);
      expect(await h.store.lastTransitionId()).toBe(highest);
      await h.store.purgeRuns(request({ dryRun: false }));
      expect(await h.store.getRun(older.id)).toBeUndefined();
      expect(await h.store.lastTransitionId()).toBeLessThan(highest);
      // a feed reader that had read up to `highest` must see what comes next
      const next = await runInStatus(h.store, "pending");
      const fresh = await h.store.listTransitionsAfter({ afterId: highest, limit: 10 });
      expect(fresh.map((t) => [t.runId, t.reason])).toEqual([[next.id, "submitted"]]);
      expect(fresh[0]?.id).toBeGreaterThan(highest);
    });

    it("deletes quarantined runs with their checkpoints and transitions, and nothing else", async () => {
      const others: RunSnapshot[] = [];
      for (const status of runStatuses.filter((s) => s !== "quarantined")) {
        const run = await runInStatus(h.store, status);
        others.push(await snapshot(h.store, run.id));
      }
      const gone = [
        await quarantinedAt(h.store, NOW + DAY, "max_attempts"),
        await quarantinedAt(h.store, NOW + 2 * DAY, "permanent:parse_error"),
      ];
      const result = await h.store.purgeRuns(request());
      expect(result).toEqual({ ids: gone.map((r) => r.id).sort(), count: 2, dryRun: false });
      for (const run of gone) {
        expect(await snapshot(h.store, run.id)).toEqual({
          run: undefined,
          steps: [],
          transitions: [],
        });
      }
      for (const kept of others)
        expect(await snapshot(h.store, kept.run?.id as string)).toEqual(kept);
      expect((await h.store.countRunsByStatus()).quarantined).toBe(0);
    });

    it("filters by quarantine time (finished before olderThan) and by reason", async () => {
      const old = await quarantinedAt(h.store, NOW + DAY, "max_attempts");
      const oldParse = await quarantinedAt(h.store, NOW + DAY, "permanent:parse_error");
      const recent = await quarantinedAt(h.store, NOW + 50 * DAY, "max_attempts");
      const ids = async (overrides: Partial<PurgeRequest>) =>
        (await h.store.purgeRuns(request({ dryRun: true, ...overrides }))).ids;
      expect(await ids({ olderThan: NOW + 10 * DAY })).toEqual([old.id, oldParse.id].sort());
      expect(await ids({ olderThan: NOW + DAY })).toEqual([]);
      expect(await ids({ reason: "max_attempts" })).toEqual([old.id, recent.id].sort());
      expect(await ids({ reason: "max_attempts", olderThan: NOW + 10 * DAY })).toEqual([old.id]);
      expect(await ids({ reason: "timeout" })).toEqual([]);

      const purged = await h.store.purgeRuns(request({ reason: "permanent:parse_error" }));
      expect(purged.ids).toEqual([oldParse.id]);
      expect(await h.store.getRun(old.id)).toBeDefined();
      expect(await h.store.getRun(recent.id)).toBeDefined();
      expect(await h.store.getRun(oldParse.id)).toBeUndefined();
    });

    it("deletes nothing and audits nothing on a dry run", async () => {
      const run = await quarantinedAt(h.store, NOW + DAY, "max_attempts");
      const kept = await snapshot(h.store, run.id);
      const result = await h.store.purgeRuns(request({ dryRun: true }));
      expect(result).toEqual({ ids: [run.id], count: 1, dryRun: true });
      expect(await snapshot(h.store, run.id)).toEqual(kept);
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });

    it("writes one audit entry per purge, with the count and the ids", async () => {
      const run = await quarantinedAt(h.store, NOW + DAY, "timeout");
      await h.store.purgeRuns(request({ reason: "timeout", olderThan: NOW + 2 * DAY }));
      await h.store.purgeRuns(request({ reason: "timeout" }));
      expect((await h.store.listAudit({ limit: 10 })).entries).toMatchObject([
        { action: "quarantine.purge", details: { count: 0, ids: [] } },
        {
          at: purgeAt,
          actor: "cli:carol",
          action: "quarantine.purge",
          target: "quarantine",
          reason: null,
          details: {
            count: 1,
            ids: [run.id],
            idsTruncated: false,
            quarantineReason: "timeout",
            olderThan: NOW + 2 * DAY,
          },
        },
      ]);
    });

    it("with ids, deletes only those of the matching runs: exactly what a dry run listed", async () => {
      const listed = await quarantinedAt(h.store, NOW + DAY, "max_attempts");
      const preview = await h.store.purgeRuns(request({ dryRun: true }));
      expect(preview.ids).toEqual([listed.id]);
      // quarantined after the preview: matches the filter, but the preview did not show it
      const later = await quarantinedAt(h.store, NOW + 2 * DAY, "max_attempts");
      const kept = await snapshot(h.store, later.id);
      const done = await h.store.purgeRuns(request({ ids: preview.ids }));
      expect(done.ids).toEqual([listed.id]);
      expect(await h.store.getRun(listed.id)).toBeUndefined();
      expect(await snapshot(h.store, later.id)).toEqual(kept);
      // an id the filter does not match is not deleted for being named
      const succeeded = await runInStatus(h.store, "succeeded");
      const untouched = await snapshot(h.store, succeeded.id);
      expect((await h.store.purgeRuns(request({ ids: [succeeded.id] }))).ids).toEqual([]);
      expect(await snapshot(h.store, succeeded.id)).toEqual(untouched);
    });

    it("refuses any status but quarantined", async () => {
      const run = await runInStatus(h.store, "succeeded");
      const kept = await snapshot(h.store, run.id);
      await expectKeelError(
        h.store.purgeRuns({ ...request(), status: "succeeded" as never }),
        InvalidInputError,
        "invalid_input",
      );
      expect(await snapshot(h.store, run.id)).toEqual(kept);
    });
  });
}
