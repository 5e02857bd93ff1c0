import { describe, expect, it } from "vitest";
import { KeelErrorCode } from "../../core/errors/codes.js";
import type { GoldenRecord } from "../goldens.js";
import { NOW, checkpoint, claimedRun, type StoreHandle } from "./helpers.case.test.js";

const golden = (overrides: Partial<GoldenRecord> = {}): GoldenRecord => ({
  name: "release-1",
  runId: "run_golden_1",
  pipeline: "pricing",
  pipelineVersion: "v1",
  steps: [{ step: "a", output: { total: 3 }, outputHash: "h-a" }],
  createdAt: NOW,
  createdBy: "cli:alice",
  note: "before the tax change",
  ...overrides,
});

const change = { actor: "cli:alice", at: NOW, audit: { action: "golden.save" } };

/** Determinism records: recordings kept with checkpoints, hashes in the trail, golden records. */
export function goldenCases(h: StoreHandle): void {
  describe("goldens and recordings", () => {
    it("a checkpoint keeps its recording and its hash stays in the transitions", async () => {
      const { run, lease } = await claimedRun(h.store);
      const recorded = {
        now: [NOW + 150],
        fetch: [
          {
            request: { method: "GET", url: "http://127.0.0.1:1/rate" },
            response: { status: 200, statusText: "OK", headers: [], body64: "MQ==" },
          },
        ],
      } as const;
      await h.store.completeStep(
        lease,
        checkpoint("a", {
          outputHash: "h1",
          recorded: { now: [...recorded.now], fetch: [...recorded.fetch] as never },
        }),
      );
      await h.store.completeStep(lease, checkpoint("b"));
      const [a, b] = await h.store.listStepResults(run.id);
      expect(a?.recorded).toEqual(recorded);
      expect(b?.recorded).toBeNull();
      const done = (await h.store.listTransitions(run.id)).filter((t) => t.to === "succeeded");
      expect(done.map((t) => t.details)).toMatchObject([{ hash: "h1" }, { hash: "hash-of-b" }]);
    });

    it("saves, reads and lists goldens, with an audit entry", async () => {
      await h.store.saveGolden(golden(), change);
      await h.store.saveGolden(golden({ name: "another", note: null }), change);
      expect(await h.store.getGolden("release-1")).toEqual(golden());
      expect((await h.store.listGoldens()).map((g) => g.name)).toEqual(["another", "release-1"]);
      const audit = await h.store.listAudit({ limit: 10, action: "golden.save" });
      expect(audit.entries.map((e) => e.target).sort()).toEqual(["another", "release-1"]);
      expect(await h.store.getGolden("missing")).toBeUndefined();
    });

    it("refuses a name already taken unless replacing, and a refusal writes nothing", async () => {
      await h.store.saveGolden(golden(), change);
      await expect(
        h.store.saveGolden(golden({ runId: "run_other" }), change),
      ).rejects.toMatchObject({
        code: KeelErrorCode.goldenExists,
      });
      expect((await h.store.getGolden("release-1"))?.runId).toBe("run_golden_1");
      expect((await h.store.listAudit({ limit: 10 })).entries).toHaveLength(1);
      await h.store.saveGolden(golden({ runId: "run_other" }), change, true);
      expect((await h.store.getGolden("release-1"))?.runId).toBe("run_other");
      const [latest] = (await h.store.listAudit({ limit: 10 })).entries;
      expect(latest?.details).toMatchObject({ replaced: true, run: "run_other" });
    });
  });
}
