import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { keel, pipeline, step, type Keel } from "../../src/index.js";
import { startShadow } from "../../src/ops/shadow/shadow-start.js";
import { ShadowWorker } from "../../src/ops/shadow/shadow-worker.js";

/**
 * The shadow worker stops cleanly: a comparison in flight (a sandbox child replaying a step that
 * takes a minute) is killed, and its run goes back to the queue for the next start. Needs `npm run
 * build` (the sandbox and the shadow module run the compiled keel).
 */
const dist = pathToFileURL(join(import.meta.dirname, "../../dist/src/index.js")).href;
const home = mkdtempSync(join(tmpdir(), "keel-shadow-stop-"));
let k: Keel | undefined;

afterAll(async () => {
  await k?.stop({ force: true });
  rmSync(home, { recursive: true, force: true });
});

describe("the shadow worker", () => {
  it("kills a comparison in flight when it stops, and hands the run back", async () => {
    const slow = join(home, "slow.mjs");
    writeFileSync(
      slow,
      `import { pipeline, step } from "${dist}";
export const quick = pipeline("quick", [
  step("only", async (_ctx, input) => { await new Promise((r) => setTimeout(r, 60_000)); return input; }),
]);`,
    );
    const primary = pipeline("quick", [step("only", async (_ctx, input: { n: number }) => input)]);
    k = keel({ home, pipelines: [primary], logger: pino({ level: "silent" }), pollMs: 50 });
    await k.start();
    const shadow = await startShadow(k, {
      pipeline: "quick",
      module: slow,
      moduleResolved: slow,
      sampleRate: 1,
      maxPerMinute: null,
      actor: "test",
      now: Date.now() - 1000,
    });
    const run = await k.submit("quick", { n: 1 });
    await k.wait(run.id, { timeoutMs: 10_000 });

    const worker = new ShadowWorker(k, { intervalMs: 100, settleMs: 0 });
    worker.start();
    const status = async () => (await k!.store.shadowTally(shadow.id)).runs.map((r) => r.status);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      if ((await status()).includes("running")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await status()).toEqual(["running"]);
    const stopping = Date.now();
    await worker.stop();
    // the replay would take a minute (30 s, the sandbox's cap): stop does not wait for it
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(await status()).toEqual(["queued"]);
    expect(worker.compared).toBe(0);
  }, 60_000);
});
