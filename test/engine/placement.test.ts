// Placement on one store: a step that requires a capability runs only on a node offering it, the
// run handed from node to node as its next step needs; a pool's slots bound what runs at once.
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import { gate, until, useHarness } from "./helpers.js";

const h = useHarness();
const fast = { leaseMs: 2000, heartbeatMs: 200, pollMs: 100 } as const;

function hopPipeline() {
  const prep = step("prep", (_ctx, i: { n: number }) => ({ n: i.n }));
  const embed = step("embed", { after: [prep], requires: ["gpu"] }, (_ctx, { prep }) => ({
    n: prep.n + 1,
  }));
  const store = step("store", { after: [embed] }, (_ctx, { embed }) => ({ n: embed.n }));
  return pipeline("hop", [prep, embed, store]);
}

describe("placement", () => {
  it("runs a step that requires gpu only on the gpu node, and hands the run on", async () => {
    const p = hopPipeline();
    const cpu = await h.start({ pipelines: [p], ...fast, concurrency: 2 });
    const gpu = await h.start({ pipelines: [p], ...fast, concurrency: 2, capabilities: ["gpu"] });
    const runs = await Promise.all([1, 2, 3].map((n) => cpu.submit(p, { n })));
    for (const run of runs) {
      const done = await cpu.wait(run.id, { timeoutMs: 10_000 });
      expect(done.status).toBe("succeeded");
      const output = done.output as { store: { n: number } };
      expect(output.store.n).toBeGreaterThan(1);
      const { steps } = await cpu.inspect(run.id);
      const embed = steps.find((s) => s.step === "embed");
      expect(embed?.nodeId).toBe(gpu.nodeId);
    }
  });

  it("leaves a run waiting while no node offers what its first step requires", async () => {
    const only = pipeline("gpu-only", [step("g", { requires: ["gpu"] }, () => 1)]);
    const cpu = await h.start({ pipelines: [only], ...fast });
    const run = await cpu.submit(only, {});
    await new Promise((r) => setTimeout(r, 500));
    expect((await cpu.get(run.id))?.status).toBe("pending");
    expect(await cpu.store.placedWaiting(Date.now())).toEqual([
      {
        placement: { requires: ["gpu"], pool: "" },
        runs: 1,
        oldestDueAt: expect.any(Number),
        runIds: [],
      },
    ]);
    const gpu = await h.start({ pipelines: [only], ...fast, capabilities: ["gpu"] });
    expect((await gpu.wait(run.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
  });

  it("runs at most a pool's slots at once on a node", async () => {
    const held = gate();
    h.onCleanup(held.open);
    let running = 0;
    let most = 0;
    const pooled = pipeline("pooled", [
      step("p", { pool: "big" }, async () => {
        running++;
        most = Math.max(most, running);
        await held.promise;
        running--;
        return 1;
      }),
    ]);
    const k = await h.start({
      pipelines: [pooled],
      ...fast,
      concurrency: 8,
      cluster: { pools: { big: 2 } },
    });
    const runs = await Promise.all(Array.from({ length: 6 }, () => k.submit(pooled, {})));
    await until(() => running === 2, { timeoutMs: 5000, message: "two runs of the pool running" });
    await new Promise((r) => setTimeout(r, 300));
    expect(running).toBe(2);
    held.open();
    for (const run of runs)
      expect((await k.wait(run.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
    expect(most).toBe(2);
  });
});
