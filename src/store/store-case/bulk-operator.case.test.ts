import { describe, expect, it } from "vitest";
import { NOW, runInStatus, type StoreHandle } from "./helpers.case.test.js";
import { quarantinedAfterFailures } from "./operator-runs.case.test.js";

/**
 * A bulk cancel or retry writes one audit entry for all its runs: each run's change is made
 * without an entry of its own, and nothing else about the change differs.
 */
export function bulkOperatorCases(h: StoreHandle): void {
  describe("bulk-operator", () => {
    it("retryRun with audit: false retries the run and writes no audit entry", async () => {
      const run = await quarantinedAfterFailures(h.store);
      const result = await h.store.retryRun(run.id, {
        clearSteps: [],
        note: "bulk",
        actor: "cli:alice",
        now: NOW + 5000,
        audit: false,
      });
      expect(result.run.status).toBe("pending");
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
      const last = (await h.store.listTransitions(run.id)).filter((t) => t.step === null).at(-1);
      expect(last).toMatchObject({ from: "quarantined", to: "pending", actor: "cli:alice" });
    });

    it("cancelRun without an audit note cancels and writes no audit entry", async () => {
      const run = await runInStatus(h.store, "pending");
      const cancelled = await h.store.cancelRun(run.id, {
        actor: "cli:alice",
        at: NOW + 10,
        reason: "bulk",
      });
      expect(cancelled.status).toBe("cancelled");
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });
  });
}
