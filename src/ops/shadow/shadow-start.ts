import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { sortableId } from "../../core/ids.js";
import { InvalidInputError, NotFoundError } from "../../core/errors/definition-errors.js";
import { UnknownPipelineError } from "../../core/errors/definition-errors.js";
import type { Keel } from "../../engine/keel.js";
import type { ShadowRecord, ShadowStep } from "../../store/shadow-rows.js";
import { runSandbox } from "../verify/sandbox.js";

/**
 * `keel shadow start|stop`: a shadow is recorded only once its module loads in the replay
 * sandbox (never in the node's own process), exports the pipeline, and has the same step names as
 * the primary: each shadow step is compared with the primary's checkpoint of the same name, fed
 * what the primary's steps recorded.
 */
export interface ShadowStartRequest {
  pipeline: string;
  /** the module as the operator gave it */
  module: string;
  /** absolute path (or file: URL) of that module, resolved where the operator gave it */
  moduleResolved: string;
  sampleRate: number;
  maxPerMinute: number | null;
  actor: string;
  now: number;
}

const loadTimeoutMs = 30_000;

export async function startShadow(keel: Keel, req: ShadowStartRequest): Promise<ShadowRecord> {
  const primary = await primarySteps(keel, req.pipeline);
  const path = req.moduleResolved.startsWith("file:")
    ? fileURLToPath(req.moduleResolved)
    : req.moduleResolved;
  if (!isAbsolute(path) || !existsSync(path))
    throw new InvalidInputError(
      `--version ${req.module}: no module at ${path}; give the path of a module that exports the new version of pipeline "${req.pipeline}"`,
      { field: "module", path },
    );
  const loaded = await runSandbox(
    {
      module: path,
      pipeline: req.pipeline,
      runId: "shadow-start",
      traceId: "shadow-start",
      runInput: null,
      seed: 0,
      replays: 0,
      steps: [],
    },
    loadTimeoutMs,
  ).catch((error: unknown) => {
    throw new InvalidInputError(
      `--version ${req.module}: the module cannot be used as a shadow of "${req.pipeline}": ${(error as Error).message}`,
      { field: "module", path },
      error,
    );
  });
  const steps: ShadowStep[] = loaded.shape.map((s) => ({ step: s.step, after: s.after }));
  checkComparable(
    req.pipeline,
    primary,
    steps.map((s) => s.step),
    req.module,
  );
  const shadow: ShadowRecord = {
    id: `shadow_${sortableId(req.now)}`,
    pipeline: req.pipeline,
    module: req.module,
    moduleResolved: path,
    version: loaded.version,
    steps,
    sampleRate: req.sampleRate,
    maxPerMinute: req.maxPerMinute,
    createdAt: req.now,
    createdBy: req.actor,
    stoppedAt: null,
    stoppedBy: null,
  };
  await keel.store.startShadow(shadow, {
    actor: req.actor,
    at: req.now,
    audit: { action: "shadow.start" },
  });
  return shadow;
}

export async function stopShadow(
  keel: Keel,
  pipeline: string,
  actor: string,
  now: number,
): Promise<ShadowRecord> {
  const stopped = await keel.store.stopShadow(pipeline, {
    actor,
    at: now,
    audit: { action: "shadow.stop" },
  });
  if (!stopped)
    throw new NotFoundError("active shadow of pipeline", pipeline, "keel shadow list shows them");
  return stopped;
}

/** the primary's step names: the pipeline as loaded here, else as a node registered it */
async function primarySteps(keel: Keel, pipeline: string): Promise<string[]> {
  const loaded = keel.pipeline(pipeline);
  if (loaded) return loaded.steps.map((s) => s.name);
  const registered = await keel.store.listPipelines();
  const record = registered.find((p) => p.name === pipeline);
  if (!record)
    throw new UnknownPipelineError(
      pipeline,
      registered.map((p) => p.name),
    );
  return record.steps.map((s) => s.name);
}

function checkComparable(
  pipeline: string,
  primary: readonly string[],
  shadow: readonly string[],
  module: string,
): void {
  const extra = shadow.filter((s) => !primary.includes(s));
  const missing = primary.filter((s) => !shadow.includes(s));
  if (extra.length === 0 && missing.length === 0) return;
  const parts = [
    extra.length > 0 ? `steps the primary does not have: ${extra.join(", ")}` : null,
    missing.length > 0 ? `primary steps it does not have: ${missing.join(", ")}` : null,
  ].filter((p) => p !== null);
  throw new InvalidInputError(
    `--version ${module}: its pipeline "${pipeline}" cannot be compared step by step with the primary (${parts.join("; ")}); a shadow must keep the primary's step names, each compared with the primary's checkpoint of the same name`,
    { field: "module", extra, missing },
  );
}
