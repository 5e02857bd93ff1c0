import { describe, expect, it } from "vitest";
import {
  LEASE_MS,
  NODE_A,
  NOW,
  claimedRun,
  submitMany,
  type StoreHandle,
} from "./helpers.case.test.js";

/** `inventory`: the ledger, rows per table and leases that ran out with nobody recovering them. */
export function inventoryCases(h: StoreHandle): void {
  describe("inventory", () => {
    it("lists the migration ledger up to the version this build knows, newest last", async () => {
      const inv = await h.store.inventory(NOW);
      expect(inv.migrations.length).toBeGreaterThan(0);
      const versions = inv.migrations.map((m) => m.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(versions.at(-1)).toBe(inv.knownVersion);
      for (const m of inv.migrations) expect(m.name).toMatch(/^[a-z0-9_]+$/);
    });

    it("counts the rows of each table", async () => {
      const before = await h.store.inventory(NOW);
      expect(before.tables).toMatchObject({ runs: 0, step_results: 0, transitions: 0 });
      await submitMany(h.store, 3);
      const after = await h.store.inventory(NOW);
      expect(after.tables.runs).toBe(3);
      // every submit records its first transition
      expect(after.tables.transitions).toBeGreaterThanOrEqual(3);
    });

    it("names a running run whose lease ran out, and only once it has", async () => {
      const run = await claimedRun(h.store);
      expect((await h.store.inventory(NOW)).expiredLeases).toEqual([]);
      const later = await h.store.inventory(NOW + LEASE_MS + 1);
      expect(later.expiredLeases).toEqual([
        { runId: run.run.id, nodeId: NODE_A, expiredAt: NOW + LEASE_MS },
      ]);
      // run out for 1 ms: not yet stale by a minute
      expect((await h.store.inventory(NOW + LEASE_MS + 1, 60_000)).expiredLeases).toEqual([]);
    });
  });
}
