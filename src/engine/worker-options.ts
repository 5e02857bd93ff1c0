import { availableParallelism } from "node:os";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import { checkAbove, checkWhole, withDefaults } from "./option-checks.js";
import {
  defaultControllerTuning,
  type ControllerSettings,
  type PressureSample,
} from "./adaptive-concurrency.js";
import { findCpuStat } from "./cgroup-cpu.js";
import type { ClaimAheadSettings } from "./claim-ahead.js";

/**
 * How many runs a node has in flight. `concurrency` fixes the number and turns adaptation off;
 * without it the limit adapts between `minWorkers` (default 1) and `maxWorkers` (default
 * min(cpus, 8), the hardware cap), starting at the maximum. `deferBelowPriority` holds back runs of
 * lower priority while CPU pressure lasts (never with a fixed concurrency: it sees no pressure).
 */
export interface WorkerSettings {
  /** runs in flight at once, fixed: adaptation off (minWorkers/maxWorkers are then ignored) */
  concurrency?: number;
  minWorkers?: number;
  maxWorkers?: number;
  /** while under CPU pressure, runs with a lower priority are not claimed; unset: none held back */
  deferBelowPriority?: number;
  /** the adaptive controller's knobs (docs/concepts.md#adaptive-concurrency) */
  adaptive?: AdaptiveTuning;
  /**
   * the most runs claimed beyond the free slots while runs are short (claim-ahead.ts,
   * docs/concepts.md#claiming-ahead); default 3 x the most runs in flight, at least 128; 0: off
   */
  claimAhead?: number;
  /** the wait a run claimed ahead should expect before it starts (ms, default 50) */
  claimAheadWaitMs?: number;
}

export interface AdaptiveTuning {
  /** how often pressure is sampled (ms); default 250 */
  sampleMs?: number;
  eventLoopDelayMs?: number;
  latencyGrowth?: number;
  throttledRatio?: number;
  decreaseFactor?: number;
  decreaseEveryMs?: number;
  growAfterMs?: number;
  /**
   * how long after the node starts no sample counts (ms; default 3000): loading modules, the API
   * and the first claims hold the event loop once, which is start-up, not CPU pressure
   */
  startupGraceMs?: number;
  /** the cgroup cpu.stat to read; default found from /proc/self/cgroup; false: none */
  cgroupStat?: string | false;
  /** for tests: pressure samples to use instead of measured ones */
  sample?: () => Omit<PressureSample, "at">;
}

export interface ResolvedWorkerSettings {
  /** the fixed concurrency, or null when adaptive */
  readonly fixed: number | null;
  readonly min: number;
  readonly max: number;
  readonly deferBelowPriority: number | null;
  readonly sampleMs: number;
  readonly startupGraceMs: number;
  readonly tuning: Readonly<Omit<ControllerSettings, "min" | "max">>;
  readonly cgroupStat: string | null;
  readonly sample: (() => Omit<PressureSample, "at">) | undefined;
  readonly claimAhead: ClaimAheadSettings;
}

/**
 * claim-ahead's defaults: a commit that carries more runs shares the claim's and the commit's own
 * work among them (the measurements are in bench/README.md, "Where keel's time goes")
 */
const defaultClaimAheadFactor = 3;
const defaultClaimAheadFloor = 128;
export const defaultClaimAheadWaitMs = 50;

/** a node's own start-up holds its event loop a while: not CPU pressure (bench/README.md) */
const defaultStartupGraceMs = 3000;

const defaultMaxWorkers = (): number => Math.min(availableParallelism(), 8);

export function resolveWorkerSettings(options: WorkerSettings): ResolvedWorkerSettings {
  const fixed = options.concurrency ?? null;
  if (fixed !== null) checkWhole("concurrency", fixed, 1, 10_000);
  const min = options.minWorkers ?? 1;
  checkWhole("minWorkers", min, 1, 10_000);
  const max = options.maxWorkers ?? Math.max(min, defaultMaxWorkers());
  checkWhole("maxWorkers", max, 1, 10_000);
  if (min > max)
    throw new InvalidInputError(`minWorkers (${min}) must not be above maxWorkers (${max})`, {
      field: "minWorkers",
    });
  const defer = options.deferBelowPriority ?? null;
  if (defer !== null) checkWhole("deferBelowPriority", defer, -1_000_000, 1_000_000);
  const t = options.adaptive ?? {};
  const tuning = Object.freeze(withDefaults(defaultControllerTuning, t));
  checkAbove("adaptive.eventLoopDelayMs", tuning.eventLoopDelayMs, 0, 60_000);
  checkAbove("adaptive.latencyGrowth", tuning.latencyGrowth, 1, 1000);
  checkAbove("adaptive.throttledRatio", tuning.throttledRatio, 0, 1);
  checkAbove("adaptive.decreaseFactor", tuning.decreaseFactor, 0, 1);
  checkWhole("adaptive.decreaseEveryMs", tuning.decreaseEveryMs, 0, 3_600_000);
  checkWhole("adaptive.growAfterMs", tuning.growAfterMs, 0, 3_600_000);
  const sampleMs = t.sampleMs ?? 250;
  checkWhole("adaptive.sampleMs", sampleMs, 10, 60_000);
  const startupGraceMs = t.startupGraceMs ?? defaultStartupGraceMs;
  checkWhole("adaptive.startupGraceMs", startupGraceMs, 0, 600_000);
  const most = fixed ?? max;
  const claimAhead = Object.freeze({
    max:
      options.claimAhead ??
      Math.min(Math.max(defaultClaimAheadFactor * most, defaultClaimAheadFloor), 10_000),
    waitMs: options.claimAheadWaitMs ?? defaultClaimAheadWaitMs,
  });
  checkWhole("claimAhead", claimAhead.max, 0, 10_000);
  checkWhole("claimAheadWaitMs", claimAhead.waitMs, 1, 60_000);
  return Object.freeze({
    fixed,
    min: fixed ?? min,
    max: most,
    deferBelowPriority: defer,
    sampleMs,
    startupGraceMs,
    tuning,
    cgroupStat: fixed !== null || t.cgroupStat === false ? null : (t.cgroupStat ?? findCpuStat()),
    sample: t.sample,
    claimAhead,
  });
}
