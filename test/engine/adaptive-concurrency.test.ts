// Adaptive concurrency: the AIMD controller fed with samples (shrinks under pressure, grows back,
// stays within its bounds), its signals (step latency against a baseline, cgroup cpu.stat), and a
// node whose limit and deferral of low-priority runs follow injected pressure.
import { describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import {
  ConcurrencyController,
  defaultControllerTuning,
  type PressureSample,
} from "../../src/engine/adaptive-concurrency.js";
import { cpuStatCandidates, parseCpuStat, ThrottleWindow } from "../../src/engine/cgroup-cpu.js";
import { StepLatency } from "../../src/engine/step-latency.js";
import { resolveWorkerSettings } from "../../src/engine/worker-options.js";
import { heldStep, sleep, until, useHarness } from "./helpers.js";

const calm = { eventLoopDelayMs: 5, latencyGrowth: 1, throttledRatio: 0 };

function controller(min = 1, max = 8) {
  return new ConcurrencyController({ ...defaultControllerTuning, min, max });
}

/** Feeds `samples` every 250 ms from `start`; returns the limit after each. */
function feed(c: ConcurrencyController, start: number, samples: Omit<PressureSample, "at">[]) {
  return samples.map((s, i) => {
    c.observe({ at: start + i * 250, ...s });
    return c.limit;
  });
}

describe("the AIMD controller", () => {
  it("starts at max, cuts by 0.7 at most once a second under pressure, down to min", () => {
    const c = controller(1, 8);
    expect(c.limit).toBe(8);
    const hot = { ...calm, eventLoopDelayMs: 250 };
    expect(feed(c, 0, Array(17).fill(hot))).toEqual([
      5, 5, 5, 5, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1,
    ]);
    expect(c.pressure).toMatchObject({
      active: true,
      reason: "event-loop delay p99 250 ms (>= 100 ms)",
    });
  });

  it("grows back by one per calm second, then pressure ends", () => {
    const c = controller(2, 5);
    c.observe({ at: 0, ...calm, latencyGrowth: 3.2 });
    expect(c.limit).toBe(3);
    expect(c.pressure.reason).toBe("step latency x3.2 of its baseline (>= x2)");
    // 4 samples = 1 s of calm per step up
    const limits = feed(c, 250, Array(16).fill(calm));
    expect(limits).toEqual([3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5]);
    expect(c.pressure.active).toBe(false);
  });

  it("reads cgroup throttling as pressure; a calm sample in between restarts the calm clock", () => {
    const c = controller(1, 4);
    const throttled = { ...calm, throttledRatio: 0.5 };
    const change = c.observe({ at: 0, ...throttled });
    expect(change).toEqual({
      at: 0,
      from: 4,
      to: 2,
      reason: "CPU pressure: cgroup CPU throttled in 50% of periods (>= 20%)",
    });
    expect(feed(c, 250, [calm, calm, calm, throttled, calm, calm, calm, calm, calm])).toEqual([
      2, 2, 2, 1, 1, 1, 1, 1, 2,
    ]);
  });

  it("never leaves [min, max]; with min = max it only reports pressure", () => {
    const c = controller(3, 3);
    feed(c, 0, Array(8).fill({ ...calm, eventLoopDelayMs: 500 }));
    expect(c.limit).toBe(3);
    expect(c.pressure.active).toBe(true);
    feed(c, 2000, Array(6).fill(calm));
    expect(c.limit).toBe(3);
    expect(c.pressure.active).toBe(false);
    const wide = controller(1, 2);
    feed(wide, 0, Array(40).fill(calm));
    expect(wide.limit).toBe(2);
  });

  it("ignores signals that are missing", () => {
    const c = controller();
    c.observe({ at: 0, eventLoopDelayMs: null, latencyGrowth: null, throttledRatio: null });
    expect(c.limit).toBe(8);
    expect(c.pressed).toBe(false);
  });
});

describe("pressure signals", () => {
  it("step latency: growth against per-step baselines, weighted by duration, silent on tiny steps", () => {
    const l = new StepLatency(20);
    l.record("p/parse", 40);
    l.record("p/ping", 1);
    expect(l.growth()).toBeNull(); // no baseline yet
    l.close(false);
    l.record("p/parse", 120);
    l.record("p/ping", 1);
    expect(l.growth()).toBeCloseTo(121 / 41);
    l.close(true); // under pressure the baseline barely moves
    l.record("p/parse", 40);
    expect(l.growth()).toBeCloseTo(40 / 40.16, 2);
    l.close(false);
    l.record("p/ping", 3);
    expect(l.growth()).toBeNull(); // 1 ms of baseline says nothing
  });

  it("cgroup cpu.stat: v2 and v1 counters, the files of this process's cgroup first", () => {
    expect(
      parseCpuStat(
        "usage_usec 10\nnr_periods 40\nnr_throttled 10\nthrottled_usec 250000\nnr_bursts 0\n",
      ),
    ).toEqual({ periods: 40, throttled: 10, throttledMs: 250 });
    expect(parseCpuStat("nr_periods 20\nnr_throttled 17\nthrottled_time 697232363\n")).toEqual({
      periods: 20,
      throttled: 17,
      throttledMs: 697.232363,
    });
    expect(parseCpuStat("usage_usec 10\nuser_usec 5\n")).toBeNull(); // no cpu controller
    expect(cpuStatCandidates("1:cpu:/keel-test\n0::/\n", "/cg").slice(0, 4)).toEqual([
      "/cg/cpu/keel-test/cpu.stat",
      "/cg/cpu,cpuacct/keel-test/cpu.stat",
      "/cg/cpu.stat",
      "/cg/unified/cpu.stat",
    ]);
    expect(cpuStatCandidates("0::/system.slice/keel.service\n", "/cg")[0]).toBe(
      "/cg/system.slice/keel.service/cpu.stat",
    );
  });

  it("throttling: the share of periods throttled over about a second, once enough periods ran", () => {
    const w = new ThrottleWindow(1000, 4);
    expect(w.add(0, { periods: 100, throttled: 50, throttledMs: 0 })).toBeNull();
    expect(w.add(250, { periods: 102, throttled: 52, throttledMs: 0 })).toBeNull();
    expect(w.add(500, { periods: 105, throttled: 54, throttledMs: 0 })).toBeCloseTo(0.8);
    // a second later the readings before 500 ms are gone: 3 of the last 10 periods
    expect(w.add(1500, { periods: 115, throttled: 57, throttledMs: 0 })).toBeCloseTo(0.3);
  });

  it("settings: concurrency fixes the limit; adaptive bounds default to 1 and min(cpus, 8)", () => {
    const fixed = resolveWorkerSettings({ concurrency: 10, maxWorkers: 3 });
    expect(fixed).toMatchObject({ fixed: 10, min: 10, max: 10, cgroupStat: null });
    const adaptive = resolveWorkerSettings({});
    expect(adaptive.fixed).toBeNull();
    expect(adaptive.min).toBe(1);
    expect(adaptive.max).toBeGreaterThanOrEqual(1);
    expect(adaptive.max).toBeLessThanOrEqual(8);
    expect(() => resolveWorkerSettings({ minWorkers: 4, maxWorkers: 2 })).toThrow(
      /minWorkers \(4\) must not be above maxWorkers \(2\)/,
    );
    expect(() => resolveWorkerSettings({ maxWorkers: 0 })).toThrow(/maxWorkers must be/);
  });
});

describe("a node with adaptive concurrency", () => {
  const h = useHarness();

  it("runs fewer at once under pressure, defers low priority while it lasts, and grows back", async () => {
    const pressure = { ...calm };
    const holds = Array.from({ length: 4 }, (_, i) => heldStep(h, `hold${i}`));
    const pipelines = holds.map((held, i) => pipeline(`held-${i}`, [held.step]));
    const quick = pipeline("quick", [step("q", () => "ok")]);
    const k = await h.start({
      pipelines: [...pipelines, quick],
      minWorkers: 1,
      maxWorkers: 4,
      deferBelowPriority: 0,
      adaptive: {
        sampleMs: 20,
        startupGraceMs: 0,
        decreaseEveryMs: 60,
        growAfterMs: 100,
        sample: () => pressure,
      },
    });
    const limits: number[] = [];
    k.on("concurrency", (s) => limits.push(s.limit));
    expect(k.concurrencyState).toMatchObject({ adaptive: true, limit: 4, min: 1, max: 4 });

    Object.assign(pressure, { eventLoopDelayMs: 400 });
    await until(() => k.concurrencyState?.limit === 1, { message: "limit shrinks to 1" });
    expect(k.concurrencyState?.pressure.reason).toMatch(/event-loop delay p99 400 ms/);
    expect(k.concurrencyState?.deferring).toBe(true);
    // one run at a time now; a low-priority run waits while pressure lasts
    const held = await Promise.all(pipelines.map((p) => k.submit(p, {})));
    const low = await k.submit(quick, {}, { priority: -5 });
    await until(() => k.inFlight === 1);
    await sleep(150);
    expect(k.inFlight).toBe(1);
    expect((await k.get(low.id))?.status).toBe("pending");

    Object.assign(pressure, calm);
    await until(() => k.concurrencyState?.limit === 4, { message: "limit grows back to 4" });
    await until(() => k.inFlight === 4, { message: "four runs in flight again" });
    for (const hold of holds) hold.release.open();
    await until(() => k.concurrencyState?.pressure.active === false, { message: "pressure ends" });
    expect((await k.wait(low.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    for (const r of held)
      expect((await k.wait(r.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(limits.slice(0, 2)).toEqual([2, 1]);
    expect(Math.max(...limits.slice(2))).toBe(4);
  });

  it("a fixed concurrency never adapts", async () => {
    const k = await h.start({
      concurrency: 3,
      adaptive: {
        sampleMs: 20,
        startupGraceMs: 0,
        sample: () => ({ ...calm, eventLoopDelayMs: 900 }),
      },
    });
    await sleep(100);
    expect(k.concurrencyState).toMatchObject({
      adaptive: false,
      limit: 3,
      min: 3,
      max: 3,
      pressure: { active: false },
      deferring: false,
    });
  });
});
