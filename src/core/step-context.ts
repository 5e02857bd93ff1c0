/**
 * What a running step sees. The engine builds it; core only names its shape.
 */
export interface StepLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface StepContext {
  readonly runId: string;
  readonly traceId: string;
  readonly pipeline: string;
  readonly step: string;
  /** 1 for the first try of this step in this run */
  readonly attempt: number;
  /** the run's input, whatever the step's own input is */
  readonly runInput: unknown;
  /** per-run seed; replays of the run see the same value */
  readonly seed: number;
  /** aborted on timeout, cancel, forced stop or a lost lease: pass it to fetch and friends */
  readonly signal: AbortSignal;
  readonly log: StepLogger;
  /** report bytes processed (counted for throughput) */
  progress(bytes: number): void;
  /** the W3C traceparent header of the step's span, when tracing is on; ctx.fetch sends it */
  readonly traceparent?: string | undefined;
  /** a float in [0, 1) from the run's seed and the step's name: a replay draws the same */
  random(): number;
  /** a UUID v4 from the same seeded draws */
  uuid(): string;
  /** epoch ms; recorded with the checkpoint, so a replay sees the same times */
  now(): number;
  /** fetch whose responses are recorded with the checkpoint and served back by a replay */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}
