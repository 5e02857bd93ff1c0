// A forced stop ends while a store call cannot: a claim whose commit is in doubt waits for the
// server to answer (postgres/context.ts), and a stop must not wait for it once forced.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import type { ClaimRequest, ClaimedRun } from "../../src/store/store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { until, useHarness } from "./helpers.js";

describe("stopping a node whose claim never settles", () => {
  const h = useHarness();

  it("a graceful stop waits for it; a forced one, asked meanwhile, ends at once", async () => {
    const store = SqliteStore.open({ path: join(h.home, "keel.db") });
    h.onCleanup(() => void store.close());
    const claimRuns = store.claimRuns.bind(store);
    const stuck = { on: false, entered: false };
    store.claimRuns = (request: ClaimRequest): Promise<ClaimedRun[]> => {
      if (!stuck.on) return claimRuns(request);
      stuck.entered = true;
      return new Promise<ClaimedRun[]>(() => {
        // in doubt until a server answers: never, here
      });
    };
    const p = pipeline("never-claimed", [step("s", () => ({ ok: true }))]);
    const k = h.make({ pipelines: [p], store, pollMs: 60_000 });
    await k.start();
    stuck.on = true;
    await k.submit(p, {});
    await until(() => stuck.entered, { timeoutMs: 2000 });

    let gracefulDone = false;
    const graceful = k.stop().then(() => (gracefulDone = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // graceful: the claim under way is waited for, as long as it takes
    expect(gracefulDone).toBe(false);

    const asked = Date.now();
    await k.stop({ force: true });
    await graceful;
    expect(Date.now() - asked).toBeLessThan(1000);
  });
});
