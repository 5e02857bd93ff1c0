import type { JsonValue } from "../../core/canonical-json.js";
import type { ReplayOutcome } from "../../core/determinism/mismatch.js";
import type { StepRecording } from "../../core/determinism/recording.js";

/**
 * The replay sandbox's one exchange over the fork channel: the parent sends the job, the child
 * answers with every replay of every step and exits. The child holds no store handle: whatever
 * it does, it cannot write to the run.
 */
export interface SandboxJob {
  /** file: URL or absolute path of the module that exports the pipeline */
  module: string;
  pipeline: string;
  runId: string;
  traceId: string;
  runInput: JsonValue;
  seed: number;
  replays: number;
  steps: SandboxStep[];
}

export interface SandboxStep {
  step: string;
  attempt: number;
  input: JsonValue;
  recorded: StepRecording | null;
}

export interface SandboxAnswer {
  /** the version of the pipeline the child loaded: not the run's when the code changed */
  version: string;
  /** the loaded pipeline's steps and what each runs after (a shadow checks them at start) */
  shape: { step: string; after: string[]; volatile: string[][] }[];
  steps: { step: string; replays: ReplayOutcome[] }[];
}

export type FromSandbox =
  { type: "done"; answer: SandboxAnswer } | { type: "failed"; message: string };
