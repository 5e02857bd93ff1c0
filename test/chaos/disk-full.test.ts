import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { keel, pipeline, step } from "../../src/index.js";
import { expectStoreIntact, fillUntil, mountTmpfs } from "./helpers.js";

/**
 * A real full disk: the store lives on an 8 MiB tmpfs that a filler file fills while runs are in
 * flight. Every write that hits ENOSPC / SQLITE_FULL is held and retried; once the filler is
 * removed, keel finishes on its own with nothing lost and nothing recorded twice.
 */
const tmpfs = mountTmpfs("8m");

afterAll(() => tmpfs.remove());

describe("disk full", () => {
  it("holds results while the disk is full and finishes by itself when space returns", async (ctx) => {
    if (!tmpfs.mounted) {
      // not silent: this machine does not allow a tmpfs mount (needs root), so the fault cannot be made real here
      console.warn(`disk-full chaos test needs mount -t tmpfs: ${tmpfs.error}`);
      ctx.skip();
    }
    const home = join(tmpfs.dir, "home");
    mkdirSync(home);
    const filler = join(tmpfs.dir, "filler");
    const big = "x".repeat(10_000);
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 10));
    const a = step("a", async (_c, input: { n: number }) => {
      await pause();
      return { n: input.n, blob: big };
    });
    const b = step("b", { after: [a] }, (_c, { a: out }) => ({ n: out.n, blob: big }));
    const p = pipeline("disk-heavy", [a, b]);
    const k = keel({
      home,
      pipelines: [p],
      concurrency: 4,
      logger: pino({ level: process.env.KEEL_TEST_LOG ?? "silent" }),
    });
    let held = 0;
    k.on("storageFull", () => held++);
    try {
      const runs = await k.submitMany(
        p,
        Array.from({ length: 40 }, (_, n) => ({ n })),
      );
      // fill the disk once steps are being checkpointed, so the fault lands mid-run
      const firstCheckpoint = new Promise<void>((resolve) =>
        k.on("step", (e) => e.status === "succeeded" && resolve()),
      );
      await k.start();
      await firstCheckpoint;
      fillUntil(filler, () => false); // until the filesystem refuses: really full
      const deadline = Date.now() + 10_000;
      while (held === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(held, "the node never hit the full disk").toBeGreaterThan(0);
      rmSync(filler);
      const cleared = performance.now();
      const finals = await Promise.all(runs.map((r) => k.wait(r.id, { timeoutMs: 20_000 })));
      expect(finals.map((r) => r.status)).toEqual(runs.map(() => "succeeded"));
      console.info(
        `disk full: ${held} held writes; all 40 runs done ${Math.round(performance.now() - cleared)} ms after space returned`,
      );
    } finally {
      rmSync(filler, { force: true });
      await k.stop({ force: true });
    }
    expectStoreIntact(home, 40, 2);
  }, 60_000);
});
