// The store watch as a state machine over a scripted store (ok -> checking -> repairing -> ok, or
// damaged), and on a real node whose store file is damaged on disk while runs are held in flight:
// index damage is repaired and the runs finish; damage to rows stops claiming, holds the writes,
// and a stop does not wait for them.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import { StoreWatch, type StoreWatchState } from "../../src/engine/store-watch.js";
import { StorageDamage, type StorageReport } from "../../src/store/storage.js";
import type { Store } from "../../src/store/store.js";
import { damageObject } from "../store/sqlite-pages.js";
import { heldStep, silentLogger, until, useHarness } from "./helpers.js";

function report(findings: StorageReport["findings"], level: "quick" | "full" = "quick") {
  return {
    ok: findings.length === 0,
    level,
    findings,
    repairable: findings.length > 0 && findings.every((f) => f.damage === StorageDamage.index),
    checkedAt: 0,
    ms: 1,
  };
}

const indexDamage = {
  damage: StorageDamage.index,
  object: "runs_status",
  message: "Tree 8 page 47: bad",
};
const rowDamage = { damage: StorageDamage.table, object: "runs", message: "Tree 3 page 12: bad" };

/** A store whose checks answer from a script; faults are raised by the test. */
function scriptedStore(checks: StorageReport[], repairs: StorageReport[] = []) {
  const calls: string[] = [];
  let fault: ((e: Error) => void) | undefined;
  const store = {
    async checkStorage(level: "quick" | "full") {
      calls.push(`check:${level}`);
      return checks.shift() ?? report([]);
    },
    async repairStorage(_report: StorageReport) {
      calls.push("repair");
      const after = repairs.shift() ?? report([], "full");
      return { repaired: after.ok, actions: ["reindexed runs_status"], report: after, ms: 2 };
    },
    onStorageFault(listener: (e: Error) => void) {
      fault = listener;
      return () => (fault = undefined);
    },
  } as unknown as Store;
  return { store, calls, raise: (e: Error) => fault?.(e) };
}

function watchOn(store: Store, intervalMs = 0) {
  const changes: StoreWatchState["state"][] = [];
  const repaired: unknown[] = [];
  const watch = new StoreWatch({
    store,
    log: silentLogger,
    intervalMs,
    onChange: (s) => changes.push(s.state),
    onRepaired: async (r) => void repaired.push(r),
  });
  return { watch, changes, repaired };
}

describe("store watch", () => {
  it("checks one interval after the start, then on its interval; a whole store stays ok", async () => {
    const s = scriptedStore([]);
    const { watch, changes } = watchOn(s.store, 20);
    watch.start();
    await until(() => s.calls.length >= 3);
    await watch.stop();
    expect(s.calls.slice(0, 3)).toEqual(["check:quick", "check:quick", "check:quick"]);
    expect(changes).toEqual([]);
    expect(watch.state).toMatchObject({ state: "ok", checkLevel: "quick", findings: [] });
  });

  it("a damaged query: blocked at once, a full check, index damage repaired, ok again", async () => {
    const s = scriptedStore([report([]), report([indexDamage], "full")]);
    const { watch, changes, repaired } = watchOn(s.store);
    watch.start();
    await watch.check("quick");
    s.raise(new Error("database disk image is malformed"));
    expect(watch.blocked).toBe(true);
    await until(() => changes.at(-1) === "ok");
    await watch.stop();
    expect(s.calls).toEqual(["check:quick", "check:full", "repair"]);
    expect(changes).toEqual(["checking", "repairing", "ok"]);
    expect(watch.state.lastRepair).toMatchObject({
      findings: [indexDamage],
      actions: ["reindexed runs_status"],
    });
    expect(repaired).toHaveLength(1);
  });

  it("damage to rows: damaged, no repair, faults ignored; a later whole check lifts it", async () => {
    const s = scriptedStore([report([rowDamage]), report([rowDamage]), report([])]);
    const { watch, changes } = watchOn(s.store);
    watch.start();
    await watch.check("quick");
    expect(watch.state.state).toBe("damaged");
    s.raise(new Error("database disk image is malformed"));
    expect(s.calls).toEqual(["check:quick"]);
    expect(watch.state).toMatchObject({ reason: "damaged: table runs", findings: [rowDamage] });
    await watch.check("quick");
    expect(watch.state.state).toBe("damaged");
    await watch.check("quick");
    await watch.stop();
    expect(changes).toEqual(["damaged", "ok"]);
    expect(s.calls).not.toContain("repair");
  });

  it("a repair that leaves damage, or a check that cannot run, never makes it ok", async () => {
    const s = scriptedStore([report([indexDamage])], [report([indexDamage], "full")]);
    const { watch } = watchOn(s.store);
    watch.start();
    await watch.check("quick");
    expect(watch.state.state).toBe("damaged");
    expect(watch.state.reason).toMatch(/a repair did not help: index runs_status/);
    (s.store as unknown as { checkStorage: () => Promise<never> }).checkStorage = async () => {
      throw new Error("no worker thread");
    };
    await watch.check("quick");
    await watch.stop();
    expect(watch.state.state).toBe("damaged");
  });

  it("interval 0: no check of its own, but a damaged query still starts one", async () => {
    const s = scriptedStore([]);
    const { watch } = watchOn(s.store, 0);
    watch.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.calls).toEqual([]);
    s.raise(new Error("database disk image is malformed"));
    await until(() => !watch.blocked);
    await watch.stop();
    expect(s.calls).toEqual(["check:full"]);
  });

  it("a store without a storage check leaves the watch ok", async () => {
    const { watch } = watchOn({} as Store, 10);
    watch.start();
    await watch.stop();
    expect(watch.state).toMatchObject({ state: "ok", checkedAt: null });
  });
});

describe("a node on a store file damaged on disk", () => {
  const h = useHarness();
  const quick = pipeline("quick", [step("one", () => "ok")]);

  /**
   * A node with 60 finished runs (their rows and index entries fill pages nothing rewrites) and one
   * run held in flight by its step.
   */
  async function nodeWithHeldRun() {
    const held = heldStep(h, "held");
    const p = pipeline("held", [held.step]);
    const k = await h.start({ pipelines: [quick, p], storeCheckIntervalMs: 50 });
    const seeds = await k.submitMany(
      quick,
      Array.from({ length: 60 }, (_, i) => ({ i })),
    );
    for (const r of seeds) await k.wait(r.id, { timeoutMs: 10_000 });
    const run = await k.submit(p, {});
    await held.started.promise;
    return { k, run, release: held.release, file: join(h.home, "keel.db") };
  }

  it("repairs a damaged index by itself; held runs finish, the repair is audited", async () => {
    const { k, run, release, file } = await nodeWithHeldRun();
    damageObject(file, "runs_status", "header");
    await until(() => k.storageState?.lastRepair, { message: "the node repaired its store" });
    expect(k.storageState).toMatchObject({ state: "ok" });
    release.open();
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    const audit = await k.audit({ action: "store.repair" });
    expect(audit.entries).toMatchObject([{ actor: "keel:store-watch", target: "store" }]);
    expect((await k.store.checkIntegrity()).ok).toBe(true);
  });

  it("damaged rows: claims nothing, holds the writes, and a graceful stop does not wait", async () => {
    const { k, run, release, file } = await nodeWithHeldRun();
    const due = await k.submit(quick, { due: true }, { at: Date.now() + 300 });
    // the first leaf of the runs table holds finished runs only
    damageObject(file, "runs", "header", (pages) => pages.find((pg) => pg.pagetype === "leaf"));
    await until(() => k.storageState?.state === "damaged", { message: "damage found" });
    await expect(k.submit(quick, { late: true })).rejects.toMatchObject({ code: "store_corrupt" });
    release.open();
    await new Promise((r) => setTimeout(r, 500));
    // the held run's checkpoint waits in memory, the due run is not claimed: the file is unchanged
    expect(k.inFlight).toBe(1);
    expect((await k.get(run.id))?.status).toBe("running");
    expect((await k.get(due.id))?.status).toBe("pending");
    const stopped = Date.now();
    await k.stop();
    expect(Date.now() - stopped).toBeLessThan(3000);
  });
});
