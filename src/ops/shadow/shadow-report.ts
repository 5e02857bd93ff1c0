import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { Keel } from "../../engine/keel.js";
import type { ShadowRecord, ShadowTally } from "../../store/shadow-rows.js";

/**
 * `keel shadow report`: for each shadow, how many sampled runs were compared, how many came out
 * the same, and the mismatches by class, overall and per step, with sample run ids and the field
 * paths that differed. Rates are shares of the compared runs.
 */
export interface ClassCount {
  runs: number;
  rate: number;
}

export interface StepSummary {
  step: string;
  compared: number;
  same: number;
  mismatch: number;
  notCheckpointed: number;
  classes: Record<string, ClassCount>;
  samples: { run: string; class: string | null; fields: string[] }[];
}

export interface ShadowReport {
  shadow: ShadowRecord;
  queued: number;
  running: number;
  failed: number;
  compared: number;
  same: number;
  mismatch: number;
  mismatchRate: number;
  classes: Record<string, ClassCount>;
  steps: StepSummary[];
  /** the shadow versions the compared runs were replayed with (more than one: the module changed) */
  versionsReplayed: string[];
}

const samplesPerStep = 5;

/** the newest shadow of `pipeline`, or of every shadowed pipeline */
export async function shadowReports(keel: Keel, pipeline?: string): Promise<ShadowReport[]> {
  const newest = new Map<string, ShadowRecord>();
  for (const s of await keel.store.listShadows())
    if (!newest.has(s.pipeline) && (pipeline === undefined || s.pipeline === pipeline))
      newest.set(s.pipeline, s);
  if (pipeline !== undefined && newest.size === 0)
    throw new NotFoundError("shadow of pipeline", pipeline, "keel shadow list shows the shadows");
  const reports = [];
  for (const s of [...newest.values()].sort((a, b) => a.pipeline.localeCompare(b.pipeline)))
    reports.push(reportOf(s, await keel.store.shadowTally(s.id)));
  return reports;
}

export function reportOf(shadow: ShadowRecord, tally: ShadowTally): ShadowReport {
  const count = (status: string, same?: number) =>
    tally.runs
      .filter((r) => r.status === status && (same === undefined || r.same === same))
      .reduce((n, r) => n + r.runs, 0);
  const compared = count("compared");
  const rate = (n: number) => (compared === 0 ? 0 : round(n / compared));
  const classes = Object.fromEntries(
    tally.classes.map((c) => [c.class, { runs: c.runs, rate: rate(c.runs) }]),
  );
  const mismatch = count("compared", 0);
  const stepNames = shadow.steps.map((s) => s.step);
  const steps = stepNames.map((step): StepSummary => {
    const rows = tally.steps.filter((r) => r.step === step);
    const sum = (status: string) =>
      rows.filter((r) => r.status === status).reduce((n, r) => n + r.runs, 0);
    return {
      step,
      compared: sum("same") + sum("mismatch"),
      same: sum("same"),
      mismatch: sum("mismatch"),
      notCheckpointed: sum("not_checkpointed"),
      classes: Object.fromEntries(
        rows
          .filter((r) => r.status === "mismatch" && r.class !== null)
          .map((r) => [r.class as string, { runs: r.runs, rate: rate(r.runs) }]),
      ),
      samples: tally.samples
        .filter((s) => s.step === step)
        .slice(0, samplesPerStep)
        .map((s) => ({ run: s.runId, class: s.class, fields: s.fields.map((f) => f.path) })),
    };
  });
  return {
    shadow,
    queued: count("queued"),
    running: count("running"),
    failed: count("failed"),
    compared,
    same: count("compared", 1),
    mismatch,
    mismatchRate: rate(mismatch),
    classes,
    steps,
    versionsReplayed: tally.versions,
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
