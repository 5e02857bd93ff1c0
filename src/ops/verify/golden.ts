import type { JsonValue } from "../../core/canonical-json.js";
import { diffJson, type FieldDiff } from "../../core/determinism/json-diff.js";
import { maskVolatile, outputHash } from "../../core/determinism/volatile.js";
import { InvalidInputError, NotFoundError } from "../../core/errors/definition-errors.js";
import type { Keel } from "../../engine/keel.js";
import type { GoldenRecord } from "../../store/goldens.js";

/**
 * Golden records and the structural diff: `keel golden save` keeps a run's step outputs under a
 * name; `keel golden diff A B` compares two runs or goldens step by step, each step's volatile
 * fields (as the pipeline loaded here declares them) masked on both sides.
 */
export const goldenName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export async function saveGolden(
  keel: Keel,
  req: {
    runId: string;
    name: string;
    note?: string;
    replace?: boolean;
    actor: string;
    now: number;
  },
): Promise<GoldenRecord> {
  const run = await keel.get(req.runId);
  if (!run) throw new NotFoundError("run", req.runId);
  const results = await keel.store.listStepResults(run.id);
  if (results.length === 0)
    throw new InvalidInputError(
      `run ${run.id} has no checkpointed step yet; save a golden from a run that ran`,
      {
        run: run.id,
      },
    );
  const golden: GoldenRecord = {
    name: req.name,
    runId: run.id,
    pipeline: run.pipeline,
    pipelineVersion: run.pipelineVersion,
    steps: results.map((r) => ({ step: r.step, output: r.output, outputHash: r.outputHash })),
    createdAt: req.now,
    createdBy: req.actor,
    note: req.note ?? null,
  };
  await keel.store.saveGolden(
    golden,
    { actor: req.actor, at: req.now, reason: req.note ?? null, audit: { action: "golden.save" } },
    req.replace ?? false,
  );
  return golden;
}

export interface Side {
  kind: "run" | "golden";
  id: string;
  pipeline: string;
  version: string;
  outputs: Map<string, JsonValue>;
}

export interface StepDiff {
  step: string;
  status: "same" | "different" | "only_in_a" | "only_in_b";
  fields: FieldDiff[];
}

export interface GoldenDiff {
  a: Omit<Side, "outputs">;
  b: Omit<Side, "outputs">;
  same: boolean;
  steps: StepDiff[];
}

export async function diffGoldens(keel: Keel, a: string, b: string): Promise<GoldenDiff> {
  const [left, right] = await Promise.all([side(keel, a), side(keel, b)]);
  const pipeline = keel.pipeline(left.pipeline) ?? keel.pipeline(right.pipeline);
  const order = pipeline?.shape.order ?? [];
  const names = [
    ...new Set([...order, ...[...left.outputs.keys(), ...right.outputs.keys()].sort()]),
  ].filter((n) => left.outputs.has(n) || right.outputs.has(n));
  const steps = names.map((step): StepDiff => {
    const volatile = pipeline?.steps.find((s) => s.name === step)?.volatile ?? [];
    const x = left.outputs.get(step);
    const y = right.outputs.get(step);
    if (x === undefined) return { step, status: "only_in_b", fields: [] };
    if (y === undefined) return { step, status: "only_in_a", fields: [] };
    if (outputHash(x, volatile) === outputHash(y, volatile))
      return { step, status: "same", fields: [] };
    return {
      step,
      status: "different",
      fields: diffJson(maskVolatile(x, volatile), maskVolatile(y, volatile)),
    };
  });
  const strip = ({ outputs: _, ...rest }: Side) => rest;
  return { a: strip(left), b: strip(right), same: steps.every((s) => s.status === "same"), steps };
}

/** a run id (run_...), else a golden's name; a run named like a golden wins */
async function side(keel: Keel, ref: string): Promise<Side> {
  const run = await keel.get(ref);
  if (run) {
    const results = await keel.store.listStepResults(run.id);
    const outputs = new Map(results.map((r) => [r.step, r.output]));
    return {
      kind: "run",
      id: run.id,
      pipeline: run.pipeline,
      version: run.pipelineVersion,
      outputs,
    };
  }
  const golden = await keel.store.getGolden(ref);
  if (!golden) throw new NotFoundError("run or golden", ref, "keel golden list shows the goldens");
  const outputs = new Map(golden.steps.map((s) => [s.step, s.output]));
  return {
    kind: "golden",
    id: golden.name,
    pipeline: golden.pipeline,
    version: golden.pipelineVersion,
    outputs,
  };
}
