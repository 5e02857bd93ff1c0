import type { JsonValue } from "../../core/canonical-json.js";
import type { SerializedError } from "../../core/errors/serialized-error.js";
import type { CheckedReport } from "../step-progress.js";

/**
 * The IPC messages between a node and the child processes of its pool (JSON over the channel
 * `child_process.fork` opens). A child runs one task at a time; `id` ties every answer to it.
 */
export interface StepTask {
  id: number;
  /** file: URL or absolute path of the module that exports the pipeline */
  module: string;
  pipeline: string;
  /** the node's version of the pipeline: a child that loaded another one warns */
  version: string;
  step: string;
  runId: string;
  traceId: string;
  traceparent?: string;
  attempt: number;
  runInput: unknown;
  seed: number;
  input: unknown;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

export type ToChild =
  | { type: "run"; task: StepTask }
  /** the step's signal fired: the child aborts its AbortSignal with this reason */
  | { type: "abort"; id: number; reason: SerializedError };

export type FromChild =
  /** the child listens: tasks may be sent */
  | { type: "ready" }
  | { type: "log"; id: number; level: LogLevel; obj: unknown; msg: string | undefined }
  /** bytes, or a checked `ctx.progress({...})` report */
  | { type: "progress"; id: number; bytes: number }
  | { type: "report"; id: number; report: CheckedReport }
  | { type: "result"; id: number; ok: true; output: JsonValue }
  | { type: "result"; id: number; ok: false; error: SerializedError };
