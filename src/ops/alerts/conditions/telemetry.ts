import {
  addHistogram,
  percentileMs,
  type LatencyHistogram,
} from "../../../core/latency-histogram.js";
import type { TelemetryKind, TelemetryRecord } from "../../../store/telemetry.js";
import type { AlertFigures, Condition } from "./condition.js";
import { quiet, worstOf } from "./condition.js";

/**
 * Conditions on the per-minute telemetry every node writes: quarantine growth, step error rate,
 * step p99 and the bytes-per-second floor, each over the rule's window (whole minutes: the window
 * starts at the minute that holds now - window).
 */
function rows(
  f: AlertFigures,
  windowMs: number,
  kinds: TelemetryKind[],
): Promise<TelemetryRecord[]> {
  return f.once(`telemetry:${windowMs}:${kinds.join(",")}`, () =>
    f.store.readTelemetry({ since: f.now - windowMs, kinds }),
  );
}

function byKey<T>(
  records: TelemetryRecord[],
  key: (r: TelemetryRecord) => string,
  init: () => T,
  add: (acc: T, r: TelemetryRecord) => void,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of records) {
    const k = key(r);
    let acc = out.get(k);
    if (acc === undefined) out.set(k, (acc = init()));
    add(acc, r);
  }
  return out;
}

const stepKey = (r: TelemetryRecord): string => `${r.pipeline}\u0000${r.step}`;
const split = (key: string): { pipeline: string; step: string } => {
  const [pipeline = "", step = ""] = key.split("\u0000");
  return { pipeline, step };
};

export const quarantineGrowth: Condition = async (f, rule) => {
  const added = (await rows(f, rule.windowMs, ["quarantine"])).reduce((n, r) => n + r.count, 0);
  const windowM = Math.round(rule.windowMs / 60_000);
  return {
    holds: added > rule.threshold,
    value: added,
    summary: `${added} runs quarantined in the last ${windowM} min (threshold ${rule.threshold}); see \`keel quarantine list\``,
  };
};

/** attempts a step needs in the window before its error rate counts */
const minAttempts = 20;

export const stepErrorRate: Condition = async (f, rule) => {
  const steps = byKey(
    await rows(f, rule.windowMs, ["failure", "latency"]),
    stepKey,
    () => ({ failed: 0, attempts: 0 }),
    (acc, r) => {
      acc.attempts += r.count;
      if (r.kind === "failure") acc.failed += r.count;
    },
  );
  const rates = [...steps]
    .filter(([, s]) => s.attempts >= minAttempts)
    .map(([key, s]) => ({ ...split(key), ...s, rate: s.failed / s.attempts }));
  const worst = worstOf(rates, (r) => r.rate);
  if (!worst) return quiet(`no step made ${minAttempts} attempts in the window`, 0);
  const rate = Math.round(worst.rate * 1000) / 1000;
  return {
    holds: worst.rate > rule.threshold,
    value: rate,
    summary: `step ${worst.step} of pipeline ${worst.pipeline}: ${worst.failed} of ${worst.attempts} attempts failed (${Math.round(rate * 100)} %, threshold ${Math.round(rule.threshold * 100)} %); see \`keel telemetry failures\``,
    labels: { pipeline: worst.pipeline, step: worst.step },
  };
};

export const stepP99: Condition = async (f, rule) => {
  const steps = byKey(
    await rows(f, rule.windowMs, ["latency"]),
    stepKey,
    () => ({ histogram: {} as LatencyHistogram, max: 0 }),
    (acc, r) => {
      if (r.histogram) addHistogram(acc.histogram, r.histogram);
      acc.max = Math.max(acc.max, r.max ?? 0);
    },
  );
  const p99s = [...steps].map(([key, s]) => ({
    ...split(key),
    p99: percentileMs(s.histogram, 0.99, s.max) ?? 0,
  }));
  const worst = worstOf(p99s, (s) => s.p99);
  if (!worst) return quiet("no step succeeded in the window", 0);
  const p99 = Math.round(worst.p99);
  return {
    holds: worst.p99 > rule.threshold,
    value: p99,
    summary: `step ${worst.step} of pipeline ${worst.pipeline}: p99 ${p99} ms (SLO ${rule.threshold} ms); see \`keel telemetry latency\``,
    labels: { pipeline: worst.pipeline, step: worst.step },
  };
};

export const throughputFloor: Condition = async (f, rule) => {
  const pipelines = byKey(
    await rows(f, rule.windowMs, ["bytes", "active"]),
    (r) => r.pipeline,
    () => ({ bytes: 0, activeMs: 0 }),
    (acc, r) => {
      if (r.kind === "bytes" && r.label === "processed") acc.bytes += r.total;
      if (r.kind === "active") acc.activeMs += r.total;
    },
  );
  // only pipelines that report bytes (ctx.progress) and had work in flight are judged
  const rates = [...pipelines]
    .filter(([, p]) => p.bytes > 0 && p.activeMs > 0)
    .map(([pipeline, p]) => ({ pipeline, rate: p.bytes / (p.activeMs / 1000) }));
  const worst = worstOf(rates, (r) => -r.rate);
  if (!worst) return quiet("no pipeline reported bytes while in flight in the window");
  const rate = Math.round(worst.rate);
  return {
    holds: worst.rate < rule.threshold,
    value: rate,
    summary: `pipeline ${worst.pipeline} processed ${(rate / 1e6).toFixed(2)} MB/s while in flight (floor ${(rule.threshold / 1e6).toFixed(2)} MB/s); see \`keel telemetry throughput\``,
    labels: { pipeline: worst.pipeline },
  };
};
