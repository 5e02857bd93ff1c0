import { describe, expect, it, type TestContext } from "vitest";
import { StoreError } from "../../core/errors/store-errors.js";
import { StorageDamage, type StorageReport } from "../storage.js";
import type { Store } from "../store.js";
import type { PeerHandle } from "./breakers.case.test.js";
import { expectKeelError, newRun, submitMany } from "./helpers.case.test.js";
import type { MaintenanceHandle, StoreTamper } from "./maintenance.case.test.js";

/**
 * The storage's own check and repair (optional capabilities): damage on disk is found, every write
 * is refused from then on, damage confined to an index is rebuilt from the rows, and damage to rows
 * is refused for repair. A backend whose tamper helpers cannot damage its storage skips them.
 */
type Checked = Required<Pick<Store, "checkStorage" | "repairStorage" | "onStorageFault">> & Store;

function checked(h: MaintenanceHandle, t: TestContext): Checked {
  const s = h.store;
  if (!s.checkStorage || !s.repairStorage || !s.onStorageFault)
    t.skip("this backend has no storage check");
  return s as Checked;
}

function damager<K extends "damageIndex" | "damageRows">(
  h: MaintenanceHandle,
  t: TestContext,
  kind: K,
): NonNullable<StoreTamper[K]> {
  const fn = h.tamper?.[kind];
  if (!fn) t.skip("this backend's tamper helpers cannot damage its storage");
  return fn as NonNullable<StoreTamper[K]>;
}

// enough runs that each index and the table span several pages, so one page can be damaged alone
const many = 400;

async function expectWriteRefused(store: Store): Promise<void> {
  const refused = await expectKeelError(store.submitRuns([newRun()]), StoreError, "store_corrupt");
  expect(refused.message).toMatch(/keel db restore/);
}

function damagedObjects(report: StorageReport): string[] {
  return [...new Set(report.findings.map((f) => f.object).filter((o) => o !== null))].sort();
}

export function storageCases(h: MaintenanceHandle & PeerHandle): void {
  describe("storage check and repair", () => {
    it("finds nothing wrong with a whole store, quick or full, and writes go on", async (t) => {
      const store = checked(h, t);
      await submitMany(store, 20);
      for (const level of ["quick", "full"] as const)
        expect(await store.checkStorage(level)).toMatchObject({
          ok: true,
          level,
          findings: [],
          repairable: false,
        });
      await submitMany(store, 1);
    });

    it("a page of an index that no longer parses: found, writes refused, rebuilt from the rows", async (t) => {
      const store = checked(h, t);
      const runs = await submitMany(store, many);
      await damager(h, t, "damageIndex")("page");
      const report = await store.checkStorage("quick");
      expect(report).toMatchObject({ ok: false, repairable: true });
      expect(damagedObjects(report)).toEqual(["runs_status"]);
      expect(report.findings.every((f) => f.damage === StorageDamage.index)).toBe(true);
      await expectWriteRefused(store);

      const repair = await store.repairStorage(report);
      expect(repair).toMatchObject({ repaired: true, report: { ok: true, level: "full" } });
      expect(repair.actions).toEqual([
        "rebuilt runs_status in new pages",
        "compacted the file (VACUUM)",
      ]);
      // writes resume, and the rebuilt index finds every run the rows hold
      const [later] = await submitMany(store, 1);
      const pending = await store.listRuns({ status: "pending", limit: many + 10 });
      expect(pending.runs.map((r) => r.id).sort()).toEqual(
        [...runs.map((r) => r.id), later!.id].sort(),
      );
      expect((await store.checkIntegrity()).ok).toBe(true);
    });

    it("a garbled key in an index: the full check finds it and REINDEX rebuilds it", async (t) => {
      const store = checked(h, t);
      await submitMany(store, many);
      await damager(h, t, "damageIndex")("key");
      const report = await store.checkStorage("full");
      expect(report).toMatchObject({ ok: false, level: "full", repairable: true });
      expect(damagedObjects(report)).toEqual(["runs_status"]);
      const repair = await store.repairStorage(report);
      expect(repair).toMatchObject({ repaired: true, actions: ["reindexed runs_status"] });
      expect((await store.countRunsByStatus()).pending).toBe(many);
      await submitMany(store, 1);
    });

    it("a page of a table's rows that no longer parses: writes refused, no repair tried", async (t) => {
      const store = checked(h, t);
      await submitMany(store, many);
      await damager(h, t, "damageRows")();
      const report = await store.checkStorage("quick");
      expect(report).toMatchObject({ ok: false, repairable: false });
      expect(damagedObjects(report)).toEqual(["runs"]);
      expect(report.findings.every((f) => f.damage === StorageDamage.table)).toBe(true);
      await expectWriteRefused(store);
      const repair = await store.repairStorage(report);
      expect(repair).toMatchObject({ repaired: false, actions: [], report });
      await expectWriteRefused(store);
      // still damaged, still fenced: another check says so again
      expect((await store.checkStorage("quick")).ok).toBe(false);
      await expectWriteRefused(store);
    });

    it("a query that runs into a damaged page tells the listeners and refuses writes from then on", async (t) => {
      const store = checked(h, t);
      if (!h.peer) t.skip("needs a second connection to make this one read from disk");
      await submitMany(store, many);
      await damager(h, t, "damageRows")();
      const faults: Error[] = [];
      const off = store.onStorageFault((fault) => faults.push(fault));
      // another connection's commit makes this one drop the pages it had cached
      await submitMany(h.peer as Store, 1);
      await expectKeelError(store.listRuns({ limit: many + 10 }), StoreError, "store_corrupt");
      expect(faults.length).toBeGreaterThanOrEqual(1);
      expect(faults[0]).toMatchObject({ code: "store_corrupt" });
      await expectWriteRefused(store);
      off();
    });
  });
}
