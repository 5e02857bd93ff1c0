// ctx.progress({ done, total, message }): stored so another process sees it, at most one write per
// step per interval however chatty the step, the last report always; bytes still count.
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import { until, useHarness } from "./helpers.js";

const h = useHarness();

describe("ctx.progress", () => {
  it("stores the latest report of a running step, readable through another store handle", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h.onCleanup(() => release());
    const p = pipeline("progress-gate", [
      step("pages", async (ctx) => {
        ctx.progress({ done: 3, total: 10, message: "page 3 of 10" });
        await gate;
        ctx.progress({ done: 10, total: 10, message: "done" });
        return 1;
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    const reader = h.make({}); // a second client on the same home, as the CLI would be
    const run = await k.submit(p, {});
    const seen = await until(async () => (await reader.store.listProgress(run.id))[0]);
    expect(seen).toMatchObject({
      step: "pages",
      attempt: 1,
      done: 3,
      total: 10,
      message: "page 3 of 10",
    });
    release();
    await k.wait(run.id, { timeoutMs: 5000 });
    // the step's last report is written when it ends, not dropped by the throttle
    await until(async () => (await reader.store.listProgress(run.id))[0]?.done === 10);
  });

  it("writes a chatty step's reports at most once per 250 ms, and counts bytes as before", async () => {
    const p = pipeline("progress-chatty", [
      step("rows", async (ctx) => {
        for (let i = 1; i <= 2000; i++) {
          ctx.progress({ done: i, total: 2000, bytes: 10 });
          if (i % 100 === 0) await new Promise((r) => setTimeout(r, 30));
        }
        return 1;
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    let writes = 0;
    const original = k.store.reportProgress.bind(k.store);
    k.store.reportProgress = (report) => {
      writes++;
      return original(report);
    };
    let bytes = 0;
    k.on("progress", (e) => (bytes += e.bytes));
    const run = await k.submit(p, {});
    const started = Date.now();
    await k.wait(run.id, { timeoutMs: 10_000 });
    const elapsed = Date.now() - started;
    await until(async () => (await k.store.listProgress(run.id))[0]?.done === 2000);
    expect(writes).toBeGreaterThanOrEqual(2);
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    expect(bytes).toBe(20_000);
  });

  it("fails the step with a clear error for a negative count", async () => {
    const p = pipeline("progress-bad", [
      step("a", { retry: { maxAttempts: 1 } }, (ctx) => {
        ctx.progress({ done: -1 });
        return 1;
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {});
    const ended = await k.wait(run.id, { timeoutMs: 5000 });
    expect(ended.status).toBe("quarantined");
    expect(ended.error?.message).toMatch(/ctx.progress: done must be a finite number >= 0, got -1/);
  });
});
