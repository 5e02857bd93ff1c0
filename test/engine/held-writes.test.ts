// Writes held while the store's disk is full, over a store whose writes fail with store_full while
// a test says so: the held result is committed once space returns, even when the outage outlasted
// the node's leases (its heartbeats could not renew them either).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import { StoreError } from "../../src/core/errors/store-errors.js";
import type { Store } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { describeTransitions, gate, useHarness } from "./helpers.js";

const writes = [
  "heartbeat",
  "claimRuns",
  "startStep",
  "completeStep",
  "recordStepFailure",
  "returnRun",
  "recoverExpiredLeases",
  "releaseNodeRuns",
  "setNodeState",
] as const;

/** A SQLite store whose writes fail as on a full disk while `full.on`. */
function fillableStore(path: string): { store: Store; full: { on: boolean } } {
  const store = SqliteStore.open({ path });
  const full = { on: false };
  for (const name of writes) {
    const write = (store[name] as (...args: unknown[]) => Promise<unknown>).bind(store);
    Object.assign(store, {
      [name]: async (...args: unknown[]) => {
        if (full.on)
          throw new StoreError("store_full", "database or disk is full", undefined, true);
        return write(...args);
      },
    });
  }
  return { store, full };
}

describe("held writes", () => {
  const h = useHarness();

  it("keep the run when the disk stays full longer than the lease: no sweep takes it back", async () => {
    const { store, full } = fillableStore(join(h.home, "keel.db"));
    h.onCleanup(() => void store.close());
    const started = gate();
    const release = gate();
    h.onCleanup(() => release.open());
    let runs = 0;
    const slow = step("slow", async () => {
      runs++;
      started.open();
      await release.promise;
      return "done";
    });
    const p = pipeline("outlasting", [slow]);
    // the recovery sweep looks more often than the node beats, as a node may be configured
    const k = await h.start({ pipelines: [p], store, leaseMs: 400, heartbeatMs: 200, pollMs: 50 });
    const run = await k.submit(p, {});
    await started.promise;
    full.on = true;
    release.open(); // the step's result is now held in memory
    await new Promise((r) => setTimeout(r, 800)); // twice the lease
    full.on = false;
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(runs).toBe(1);
    const { transitions } = await k.inspect(run.id);
    expect(describeTransitions(transitions).filter((t) => t.includes("lease_expired"))).toEqual([]);
  });
});
