// Sources: interval and cron ticks create runs, pause stops them (and survives a restart), two
// nodes on one home create one run per tick, trigger submits one now, bad specs are refused.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/core/errors/definition-errors.js";
import { pipeline, step, type Keel } from "../../src/index.js";
import { missedTick } from "../../src/engine/sources.js";
import { sleep, until, useHarness } from "./helpers.js";

const h = useHarness();
const p = pipeline("ticked", [step("s", () => 1)]);

async function sourceRuns(k: Keel, name: string): Promise<{ key: string | null }[]> {
  const page = await k.list({ limit: 10_000 });
  return page.runs
    .filter((r) => r.source === `source:${name}`)
    .map((r) => ({ key: r.idempotencyKey }));
}

describe("sources", () => {
  it("an interval source creates runs keyed by their tick time", async () => {
    const k = await h.start({
      pipelines: [p],
      sources: [{ name: "fast", pipeline: "ticked", every: "200ms", input: { a: 1 } }],
    });
    await until(async () => (await sourceRuns(k, "fast")).length >= 3, { timeoutMs: 5000 });
    const runs = (await k.list({ limit: 100 })).runs.filter((r) => r.source === "source:fast");
    for (const r of runs) {
      expect(r.idempotencyKey).toMatch(/^source:fast:\d{4}-\d\d-\d\dT.*Z$/);
      expect(r.input).toEqual({ a: 1 });
      const tick = Date.parse(r.idempotencyKey!.slice("source:fast:".length));
      expect(tick % 200).toBe(0);
    }
    const source = await k.getSource("fast");
    expect(source).toMatchObject({ kind: "interval", schedule: "200", paused: false });
    expect(source.lastTickAt).not.toBeNull();
  });

  it("a paused source creates nothing, also after its node restarts; resume starts it again", async () => {
    const spec = { name: "fast", pipeline: "ticked", every: "100ms" };
    const first = await h.start({ pipelines: [p], sources: [spec] });
    await until(async () => (await sourceRuns(first, "fast")).length >= 1, { timeoutMs: 5000 });
    await first.pauseSource("fast", "maintenance", "test:dave");
    await sleep(150); // a tick in flight at the pause may still land
    const count = (await sourceRuns(first, "fast")).length;
    await sleep(400);
    expect((await sourceRuns(first, "fast")).length).toBe(count);
    await first.stop();

    const second = await h.start({ pipelines: [p], sources: [spec] });
    expect(await second.getSource("fast")).toMatchObject({
      paused: true,
      pauseReason: "maintenance",
      pausedBy: "test:dave",
    });
    await sleep(400);
    expect((await sourceRuns(second, "fast")).length).toBe(count);
    await second.resumeSource("fast", "test:erin");
    await until(async () => (await sourceRuns(second, "fast")).length > count, { timeoutMs: 5000 });
    const audit = await second.audit();
    expect(audit.entries.map((e) => [e.action, e.target])).toEqual([
      ["source.resume", "fast"],
      ["source.pause", "fast"],
    ]);
  });

  it("two nodes on one home ticking the same source create one run per tick", async () => {
    const spec = { name: "shared", pipeline: "ticked", every: "200ms" };
    const a = await h.start({ pipelines: [p], sources: [spec] });
    const b = await h.start({ home: h.home, pipelines: [p], sources: [spec] });
    await until(async () => (await sourceRuns(a, "shared")).length >= 4, { timeoutMs: 5000 });
    await a.stop();
    await b.stop();
    const keys = (await sourceRuns(h.make(), "shared")).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    // consecutive ticks, none skipped by the race between the nodes
    const ticks = keys.map((k) => Date.parse(k!.slice("source:shared:".length))).sort();
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]! - ticks[i - 1]!).toBe(200);
  });

  it("a cron source with a seconds field creates runs", async () => {
    const k = await h.start({
      pipelines: [p],
      sources: [{ name: "sec", pipeline: "ticked", cron: "* * * * * *" }],
    });
    await until(async () => (await sourceRuns(k, "sec")).length >= 2, { timeoutMs: 5000 });
    const keys = (await sourceRuns(k, "sec")).map((r) => r.key!);
    for (const key of keys) expect(key).toMatch(/^source:sec:.*:\d\d\.000Z$/);
  });

  it("runs at most one catch-up tick, for the most recent time missed while no node ran", async () => {
    const spec = { name: "late", pipeline: "ticked", every: "100ms" };
    const first = await h.start({ pipelines: [p], sources: [spec] });
    await until(async () => (await sourceRuns(first, "late")).length >= 1, { timeoutMs: 5000 });
    await first.stop();
    const lastTick = (await h.make().getSource("late")).lastTickAt!;
    await sleep(600); // about five ticks missed
    const restartedAt = Date.now();
    const second = await h.start({ pipelines: [p], sources: [spec] });
    await until(async () => (await second.getSource("late")).lastTickAt! >= restartedAt - 100, {
      timeoutMs: 5000,
    });
    const ticks = (await sourceRuns(second, "late")).map((r) =>
      Date.parse(r.key!.slice("source:late:".length)),
    );
    // the older missed ticks were skipped; the most recent one ran
    expect(ticks.filter((t) => t > lastTick && t <= restartedAt - 100)).toEqual([]);
    expect(ticks.filter((t) => t > restartedAt - 100).length).toBeGreaterThanOrEqual(1);
  });

  it("missedTick picks the most recent missed time, or none", () => {
    const every = {
      name: "i",
      kind: "interval",
      pipeline: "x",
      schedule: "1000",
      input: {},
      timezone: null,
    } as const;
    expect(missedTick(every, 10_000, 15_500)).toBe(15_000);
    expect(missedTick(every, 15_000, 15_500)).toBeNull();
    const cron = { ...every, kind: "cron", schedule: "0 * * * *", timezone: "UTC" } as const;
    const base = Date.parse("2026-01-01T00:00:00Z");
    expect(missedTick(cron, base, base + 5.5 * 3_600_000)).toBe(base + 5 * 3_600_000);
    expect(missedTick(cron, base, base + 1000)).toBeNull();
  });

  it("trigger submits one run now, even while paused; unknown sources are refused", async () => {
    const k = await h.start({
      pipelines: [p],
      sources: [{ name: "byhand", pipeline: "ticked", input: { x: 1 }, priority: -3 }],
    });
    await k.pauseSource("byhand", "manual only");
    const run = await k.triggerSource("byhand", "test:dave");
    // the source's priority is its runs' (a low one waits under CPU pressure)
    expect(run).toMatchObject({
      created: true,
      source: "source:byhand",
      input: { x: 1 },
      priority: -3,
    });
    expect(run.idempotencyKey).toMatch(/^source:byhand:manual:run_/);
    expect(await k.wait(run.id, { timeoutMs: 5000 })).toMatchObject({ status: "succeeded" });
    await expect(k.triggerSource("ghost")).rejects.toMatchObject({ code: "not_found" });
    await expect(k.pauseSource("ghost", "r")).rejects.toMatchObject({ code: "not_found" });
  });

  it("a watch source creates one run per file, once across two nodes; paused, none", async () => {
    const dir = join(h.newHome(), "inbox");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.txt"), "alpha");
    writeFileSync(join(dir, ".hidden"), "skipped");
    const spec = { name: "inbox", pipeline: "ticked", watch: dir, input: { tag: "t" } };
    const a = await h.start({ pipelines: [p], sources: [spec] });
    await h.start({ home: h.home, pipelines: [p], sources: [spec] });
    writeFileSync(join(dir, "b.txt"), "bravo!");
    const inputs = async () =>
      (await a.list({ limit: 100 })).runs
        .filter((r) => r.source === "source:inbox")
        .map((r) => r.input as { tag: string; file: { name: string; size: number; path: string } });
    await until(async () => (await inputs()).length >= 2, { timeoutMs: 5000 });
    await sleep(1200); // two more scans on each node
    const seen = await inputs();
    expect(seen.map((i) => i.file.name).sort()).toEqual(["a.txt", "b.txt"]);
    expect(seen.find((i) => i.file.name === "b.txt")).toMatchObject({
      tag: "t",
      file: { size: 6, path: join(dir, "b.txt") },
    });
    expect((await a.getSource("inbox")).kind).toBe("watch");

    await a.pauseSource("inbox", "hold");
    await sleep(600); // a scan in flight at the pause may still land
    writeFileSync(join(dir, "c.txt"), "charlie");
    await sleep(1200);
    expect((await inputs()).map((i) => i.file.name)).not.toContain("c.txt");
    await a.resumeSource("inbox");
    await until(async () => (await inputs()).some((i) => i.file.name === "c.txt"), {
      timeoutMs: 5000,
    });
    expect((await inputs()).length).toBe(3);
  });

  it("refuses bad specs, naming the source", () => {
    expect(() =>
      h.make({ sources: [{ name: "bad", pipeline: "ticked", cron: "61 * * * *" }] }),
    ).toThrow(/source "bad": invalid cron expression "61 \* \* \* \*"/);
    expect(() =>
      h.make({ sources: [{ name: "both", pipeline: "ticked", cron: "* * * * *", every: "1s" }] }),
    ).toThrow(InvalidInputError);
    expect(() =>
      h.make({ sources: [{ name: "w", pipeline: "ticked", watch: "/tmp", every: "1s" }] }),
    ).toThrow(/source "w" has watch with cron or every/);
    expect(() => h.make({ sources: [{ name: "e", pipeline: "ticked", every: "soon" }] })).toThrow(
      /source "e": every/,
    );
    expect(() => h.make({ sources: [{ name: "p", pipeline: "ticked", priority: 0.5 }] })).toThrow(
      /source "p": priority must be a whole number/,
    );
  });
});
