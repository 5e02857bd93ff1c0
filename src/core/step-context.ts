/**
 * What a running step sees. The engine builds it; core only names its shape.
 */
export interface StepLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** What `ctx.progress({ ... })` takes: counts in the step's own units, a status line, bytes. */
export interface ProgressReport {
  /** units done so far (pages, rows, files...) */
  done?: number;
  /** units in all, when known */
  total?: number;
  /** a short status line (cut at 500 characters) */
  message?: string;
  /** bytes processed since the last report: counted for throughput, as `progress(bytes)` */
  bytes?: number;
}

export interface StepContext {
  readonly runId: string;
  readonly traceId: string;
  /**
   * The W3C `traceparent` header of this step's span (`00-<trace id>-<span id>-<flags>`): send it
   * with calls to other services so their spans join the run's trace.
   */
  readonly traceparent: string | undefined;
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
  /**
   * report how far the step is: shown by `keel jobs show`, `GET /v1/runs/:id`, the event stream
   * and `keel submit --wait`; stored at most every 250 ms per step, the last report always
   */
  progress(report: ProgressReport): void;
  /** a float in [0, 1) from the run's seed and the step's name: a replay draws the same */
  random(): number;
  /** a UUID v4 from the same seeded draws */
  uuid(): string;
  /** epoch ms; recorded with the checkpoint, so a replay sees the same times */
  now(): number;
  /** fetch whose responses are recorded with the checkpoint and served back by a replay */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}
