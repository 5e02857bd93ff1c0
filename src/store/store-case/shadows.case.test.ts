import { describe, expect, it } from "vitest";
import { KeelErrorCode } from "../../core/errors/codes.js";
import type { ShadowComparison, ShadowRecord } from "../shadow-rows.js";
import type { PeerHandle } from "./breakers.case.test.js";
import { NOW, NODE_A, NODE_B, runInStatus, snapshot, soloPipeline } from "./helpers.case.test.js";

let seq = 0;
const shadow = (overrides: Partial<ShadowRecord> = {}): ShadowRecord => ({
  id: `shadow_${++seq}`,
  pipeline: "pricing",
  module: "./v2.mjs",
  moduleResolved: "/srv/app/v2.mjs",
  version: "v2",
  steps: [{ step: "a", after: [] }],
  sampleRate: 1,
  maxPerMinute: null,
  createdAt: NOW - 1000,
  createdBy: "cli:alice",
  stoppedAt: null,
  stoppedBy: null,
  ...overrides,
});

const change = (action: string) => ({ actor: "cli:alice", at: NOW, audit: { action } });

const compared = (s: ShadowRecord, runId: string, overrides: Partial<ShadowComparison> = {}) =>
  ({
    shadowId: s.id,
    runId,
    at: NOW + 5000,
    version: "v2",
    error: null,
    steps: [
      {
        step: "a",
        status: "mismatch",
        class: "SEED_MISMATCH",
        fields: [{ path: "$.tax", a: 2, b: 2.5 }],
        calls: [],
        note: "the new version differs",
      },
    ],
    ...overrides,
  }) satisfies ShadowComparison;

/** Shadow runs: definitions (one active per pipeline), the scan, the once-only claim, the tally. */
export function shadowCases(h: PeerHandle): void {
  describe("shadow runs", () => {
    it("starts, lists and stops a shadow, audited; one active shadow per pipeline", async () => {
      const first = shadow();
      await h.store.startShadow(first, change("shadow.start"));
      expect(await h.store.getShadow(first.id)).toEqual(first);
      await expect(h.store.startShadow(shadow(), change("shadow.start"))).rejects.toMatchObject({
        code: KeelErrorCode.shadowActive,
      });
      // the refused start wrote nothing, nor its audit entry
      expect((await h.store.listShadows()).map((s) => s.id)).toEqual([first.id]);
      expect((await h.store.listAudit({ limit: 10 })).entries).toHaveLength(1);
      // another pipeline may have its own
      await h.store.startShadow(shadow({ pipeline: "other" }), change("shadow.start"));

      const stopped = await h.store.stopShadow("pricing", change("shadow.stop"));
      expect(stopped).toMatchObject({ id: first.id, stoppedAt: NOW, stoppedBy: "cli:alice" });
      expect(await h.store.stopShadow("pricing", change("shadow.stop"))).toBeUndefined();
      const audit = await h.store.listAudit({ limit: 10 });
      expect(audit.entries.map((e) => [e.action, e.target])).toEqual([
        ["shadow.stop", "pricing"],
        ["shadow.start", "other"],
        ["shadow.start", "pricing"],
      ]);
      // once stopped, the pipeline may be shadowed again
      await h.store.startShadow(shadow({ createdAt: NOW + 1 }), change("shadow.start"));
      expect((await h.store.listShadows()).filter((s) => s.stoppedAt === null)).toHaveLength(2);
    });

    it("scans the primary's succeeded runs after the cursor and queues each run once", async () => {
      const pipeline = soloPipeline();
      const s = shadow({ pipeline });
      await h.store.startShadow(s, change("shadow.start"));
      const done = await runInStatus(h.store, "succeeded", { run: { pipeline } });
      const done2 = await runInStatus(h.store, "succeeded", { run: { pipeline } });
      await runInStatus(h.store, "quarantined", { run: { pipeline } });
      await runInStatus(h.store, "succeeded"); // another pipeline's
      const before = await snapshot(h.store, done.id);

      const scan = await h.store.scanShadowRuns(s.id, NOW + 10_000, 10);
      expect(scan.after).toEqual({ at: s.createdAt, id: "" });
      expect(scan.runs.map((r) => r.id).sort()).toEqual([done.id, done2.id].sort());
      // runs finished after `until` wait for a later scan
      expect((await h.store.scanShadowRuns(s.id, NOW - 1, 10)).runs).toEqual([]);

      const last = scan.runs[1]!;
      const to = { at: last.finishedAt, id: last.id };
      expect(await h.store.queueShadowRuns(s.id, [done.id], to, NOW)).toBe(1);
      expect(await h.store.queueShadowRuns(s.id, [done.id], to, NOW)).toBe(0);
      expect((await h.store.scanShadowRuns(s.id, NOW + 10_000, 10)).runs).toEqual([]);
      // the cursor never moves back
      await h.store.queueShadowRuns(s.id, [], { at: s.createdAt, id: "" }, NOW);
      expect((await h.store.scanShadowRuns(s.id, NOW + 10_000, 10)).after).toEqual(to);
      // nothing of the shadow touched the run
      expect(await snapshot(h.store, done.id)).toEqual(before);
    });

    it("claims each queued run for one node only, and again once its lease ran out", async () => {
      const other = h.peer ?? h.store;
      const pipeline = soloPipeline();
      const s = shadow({ pipeline });
      await h.store.startShadow(s, change("shadow.start"));
      const run = await runInStatus(h.store, "succeeded", { run: { pipeline } });
      await h.store.queueShadowRuns(s.id, [run.id], { at: NOW + 1, id: run.id }, NOW);

      const [a, b] = await Promise.all([
        h.store.claimShadowRun(NODE_A, NOW, 60_000),
        other.claimShadowRun(NODE_B, NOW, 60_000),
      ]);
      const claims = [a, b].filter((c) => c !== undefined);
      expect(claims).toEqual([{ shadowId: s.id, runId: run.id, attempts: 1 }]);
      const holder = a ? NODE_A : NODE_B;
      const loser = a ? NODE_B : NODE_A;
      expect(await h.store.claimShadowRun(NODE_B, NOW + 1000, 60_000)).toBeUndefined();
      // the holder died: after its lease, another node takes the run over
      expect(await h.store.claimShadowRun(loser, NOW + 61_000, 60_000)).toEqual({
        shadowId: s.id,
        runId: run.id,
        attempts: 2,
      });
      // the first holder's late answer is fenced off; the new holder's is kept
      expect(await h.store.finishShadowRun(compared(s, run.id), holder)).toBe(false);
      expect(await h.store.finishShadowRun(compared(s, run.id), loser)).toBe(true);
      expect(await h.store.claimShadowRun(NODE_A, NOW + 200_000, 60_000)).toBeUndefined();
    });

    it("claims nothing of a stopped shadow, nor past max_per_minute; a release re-queues", async () => {
      const pipeline = soloPipeline();
      const s = shadow({ pipeline, maxPerMinute: 1 });
      await h.store.startShadow(s, change("shadow.start"));
      const r1 = await runInStatus(h.store, "succeeded", { run: { pipeline } });
      const r2 = await runInStatus(h.store, "succeeded", { run: { pipeline } });
      await h.store.queueShadowRuns(s.id, [r1.id, r2.id], { at: NOW + 1, id: r2.id }, NOW);

      const first = await h.store.claimShadowRun(NODE_A, NOW, 60_000);
      await h.store.releaseShadowRun(first!.shadowId, first!.runId, NODE_A);
      const again = await h.store.claimShadowRun(NODE_A, NOW, 60_000);
      expect(again?.runId).toBe(first?.runId);
      await h.store.finishShadowRun(compared(s, again!.runId, { at: NOW }), NODE_A);
      // one compared in the last minute: the limit holds the second back until the minute passed
      expect(await h.store.claimShadowRun(NODE_A, NOW + 30_000, 60_000)).toBeUndefined();
      await h.store.stopShadow(pipeline, change("shadow.stop"));
      expect(await h.store.claimShadowRun(NODE_A, NOW + 70_000, 60_000)).toBeUndefined();
    });

    it("tallies comparisons by step and class, with the newest mismatches as samples", async () => {
      const pipeline = soloPipeline();
      const s = shadow({
        pipeline,
        steps: [
          { step: "a", after: [] },
          { step: "b", after: ["a"] },
        ],
      });
      await h.store.startShadow(s, change("shadow.start"));
      const runs = [];
      for (let i = 0; i < 3; i++)
        runs.push(await runInStatus(h.store, "succeeded", { run: { pipeline } }));
      await h.store.queueShadowRuns(
        s.id,
        runs.map((r) => r.id),
        { at: NOW + 1, id: "" },
        NOW,
      );
      const same = {
        step: "b",
        status: "same" as const,
        class: null,
        fields: [],
        calls: [],
        note: null,
      };
      for (let i = 0; i < 3; i++) {
        const c = await h.store.claimShadowRun(NODE_A, NOW + i, 60_000);
        const comparison =
          i === 2
            ? compared(s, c!.runId, { at: NOW + i, error: "the sandbox failed", steps: [] })
            : compared(s, c!.runId, { at: NOW + i });
        if (i < 2) comparison.steps.push(same);
        expect(await h.store.finishShadowRun(comparison, NODE_A)).toBe(true);
      }
      const tally = await h.store.shadowTally(s.id);
      expect(tally.runs).toEqual([
        { status: "compared", same: 0, runs: 2 },
        { status: "failed", same: null, runs: 1 },
      ]);
      expect(tally.classes).toEqual([{ class: "SEED_MISMATCH", runs: 2 }]);
      expect(tally.steps).toEqual([
        { step: "a", status: "mismatch", class: "SEED_MISMATCH", runs: 2 },
        { step: "b", status: "same", class: null, runs: 2 },
      ]);
      expect(tally.samples).toHaveLength(2);
      expect(tally.samples[0]).toMatchObject({
        step: "a",
        class: "SEED_MISMATCH",
        fields: [{ path: "$.tax", a: 2, b: 2.5 }],
      });
      expect(tally.versions).toEqual(["v2"]);
    });
  });
}
