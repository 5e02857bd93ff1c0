import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkHealth } from "../../src/ops/health/index.js";
import { Database } from "../../src/store/sqlite/driver.js";
import { sleep, until, useHarness } from "../engine/helpers.js";
import { loadIsolatedFixtures } from "../engine/isolation-helpers.js";

/**
 * Worker processes killed for real: a node runs many runs whose steps are isolated while a loop
 * SIGKILLs random busy children of its pool. Each kill of a busy child costs that attempt only; the
 * pool respawns; after the last kill the pool is whole and steps complete again within 5 s (loose:
 * the precise figure is printed), every run succeeds, none is lost, no checkpoint is recorded
 * twice, and the store is intact.
 */
const h = useHarness();
const fx = await loadIsolatedFixtures();
const RUNS = 40;
const KILLS = 10;

describe("worker kills", () => {
  it("SIGKILLs of random worker processes lose no run and record no checkpoint twice", async () => {
    const k = await h.start({
      pipelines: [fx.isolatedChain],
      concurrency: 4,
      // the kills are the fault under test: no run may be given up on for them
      isolation: { poisonAfter: 1000 },
      retry: { maxAttempts: 1000, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const crashes: string[] = [];
    let stepsSinceKill = 0;
    k.on("step", (e) => {
      if (e.error?.code === "worker_crashed") crashes.push(e.runId);
      if (e.status === "succeeded") stepsSinceKill++;
    });
    const runs = await k.submitMany(
      fx.isolatedChain,
      Array.from({ length: RUNS }, (_, n) => ({ n })),
    );

    const killed: { pid: number; runId: string }[] = [];
    const killDeadline = Date.now() + 30_000;
    while (killed.length < KILLS) {
      if (Date.now() > killDeadline)
        throw new Error(`only ${killed.length} of ${KILLS} kills landed within 30 s`);
      await sleep(80 + Math.random() * 120);
      // a random child in the middle of a step (killing one that idles or starts tests less)
      const busy = k.workerProcesses.filter((w) => w.busy);
      const victim = busy[Math.floor(Math.random() * busy.length)];
      if (!victim?.runId) {
        // the backlog ran out before the kills did (a fast machine): give the pool more work
        if ((await k.list({ status: "pending", limit: 1 })).runs.length === 0)
          runs.push(
            ...(await k.submitMany(
              fx.isolatedChain,
              Array.from({ length: 8 }, (_, n) => ({ n })),
            )),
          );
        continue;
      }
      try {
        process.kill(victim.pid, "SIGKILL");
        stepsSinceKill = 0;
        killed.push({ pid: victim.pid, runId: victim.runId });
      } catch {
        // exited in between (replaced after an earlier kill): pick again
      }
    }
    const lastKill = performance.now();
    // recovered: the pool is whole again (every killed child seen dead and replaced, the new ones
    // listening) and steps complete; a child whose exit is not seen yet still counts as alive
    const killedPids = new Set(killed.map((x) => x.pid));
    const whole = (): boolean =>
      k.workerProcesses.filter((w) => w.state !== "starting" && !killedPids.has(w.pid)).length ===
      4;
    await until(() => whole() && stepsSinceKill > 0, {
      timeoutMs: 5000,
      message: "the pool whole again and a step done within 5 s of the last kill",
    });
    const recoveryMs = performance.now() - lastKill;
    // health shows the deaths while the pool has already replaced the children
    const health = await checkHealth(h.home, {
      components: ["workers"],
      live: { workers: k.concurrencyState, workerDeaths: k.workerDeaths, busy: k.inFlight },
    });
    expect(health.components[0]).toMatchObject({
      status: "degraded",
      reason: expect.stringMatching(/^worker process \d+ died of SIGKILL .* and was replaced/),
    });
    expect(k.workerDeaths.map((d) => d.pid)).toEqual(
      expect.arrayContaining(killed.map((x) => x.pid)),
    );

    const finals = await Promise.all(runs.map((r) => k.wait(r.id, { timeoutMs: 30_000 })));
    const allDoneMs = performance.now() - lastKill;
    expect(finals.map((r) => r.status)).toEqual(runs.map(() => "succeeded"));
    expect(crashes.length, "kills that landed mid-step").toBeGreaterThan(KILLS / 2);
    for (const r of finals) expect(r.output).toEqual({ third: { step: "third", n: 1 } });
    console.info(
      `worker kills: ${killed.length} SIGKILLs, ${crashes.length} attempts failed as worker_crashed; recovered ${Math.round(recoveryMs)} ms after the last kill, all ${runs.length} runs done ${Math.round(allDoneMs)} ms after it`,
    );

    const integrity = await k.store.checkIntegrity();
    expect(integrity.problems).toEqual([]);
    expect(integrity.ok).toBe(true);
    await k.stop();
    const db = new Database(join(h.home, "keel.db"), { readonly: true });
    try {
      expect(
        db
          .prepare(
            "SELECT count(*) AS n, count(DISTINCT run_id || ' ' || step) AS d FROM step_results",
          )
          .get(),
      ).toEqual({ n: runs.length * 3, d: runs.length * 3 });
    } finally {
      db.close();
    }
  }, 60_000);
});
