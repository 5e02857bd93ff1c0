import type { JsonValue } from "../../core/canonical-json.js";
import { classifyReplays, type StepVerdict } from "../../core/determinism/mismatch.js";
import { maskVolatile, type VolatilePath } from "../../core/determinism/volatile.js";
import type { ReplayOutcome } from "../../core/determinism/mismatch.js";
import type { RunRecord, StepResultRecord } from "../../store/records.js";
import type { SandboxStep } from "./sandbox-protocol.js";

/**
 * What a replay of a run's steps needs and what it concludes, shared by `keel verify` (the run's
 * own code) and shadow runs (a new version on the primary's record): each step is fed the recorded
 * input (the run's input, or the recorded outputs of the steps it runs after) with its recorded
 * ctx.now()/ctx.fetch, and each replay is judged against the step's checkpoint.
 */
export interface StepReport extends StepVerdict {
  step: string;
  recordedHash: string | null;
  status: "same" | "mismatch" | "not_checkpointed";
}

/** the sandbox's work: the checkpointed steps of `steps`, each with its recorded input */
export function sandboxSteps(
  run: RunRecord,
  steps: readonly { name: string; after: readonly string[] }[],
  results: ReadonlyMap<string, StepResultRecord>,
): SandboxStep[] {
  const replayed: SandboxStep[] = [];
  for (const def of steps) {
    const result = results.get(def.name);
    if (!result) continue;
    const input: JsonValue =
      def.after.length === 0
        ? run.input
        : Object.fromEntries(def.after.map((d) => [d, results.get(d)?.output ?? null]));
    replayed.push({ step: def.name, attempt: result.attempt, input, recorded: result.recorded });
  }
  return replayed;
}

/** one step's replays against its checkpoint; the record's volatile fields masked as `volatile` says */
export function judgeStep(
  step: string,
  result: StepResultRecord | undefined,
  replays: ReplayOutcome[] | undefined,
  volatile: readonly VolatilePath[],
): StepReport {
  if (!result || !replays)
    return {
      step,
      recordedHash: null,
      status: "not_checkpointed",
      hashes: [],
      class: null,
      fields: [],
      note: null,
      calls: [],
    };
  const recorded = maskVolatile(result.output, volatile);
  const verdict = classifyReplays(result.outputHash, recorded, replays);
  return {
    step,
    recordedHash: result.outputHash,
    status: verdict.class ? "mismatch" : "same",
    ...verdict,
  };
}
