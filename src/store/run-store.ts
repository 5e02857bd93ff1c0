import type { Placement } from "../core/placement.js";
import type { JsonValue } from "../core/canonical-json.js";
import type { RunStatus } from "../core/status.js";
import type { PipelineRecord, RunRecord, StepResultRecord, TransitionRecord } from "./records.js";
import type { RunSummary } from "./run-summary.js";

/** Runs as a client sees them: submitted, read, listed, counted, and their transition feed. */
export interface NewRun {
  id: string;
  pipeline: string;
  pipelineVersion: string;
  input: JsonValue;
  priority: number;
  idempotencyKey: string | null;
  source: string;
  traceId: string;
  /** the W3C traceparent the run was submitted with; its span is the parent of the run's spans */
  traceParent?: string;
  seed: number;
  scheduledFor: number;
  createdAt: number;
  actor: string;
  /** where its first step runs (default: anywhere) */
  placement?: Placement;
}

export interface SubmitResult {
  run: RunRecord;
  /** false when the idempotency key matched an existing run, which is returned instead */
  created: boolean;
}

export interface RunQuery {
  status?: RunStatus;
  pipeline?: string;
  /** epoch ms: runs created at or after */
  since?: number;
  quarantineReason?: string;
  /** runs whose next step requires exactly these capabilities (sorted, as a placement keeps them) */
  requires?: readonly string[];
  /** runs whose next step takes this pool's slots ("" the default) */
  pool?: string;
  limit: number;
  /** id of the last run of the previous page (newest first) */
  cursor?: string;
}

export interface RunPage {
  /** summaries: big values left out (run-summary.ts); the page may end early, see nextCursor */
  runs: RunSummary[];
  nextCursor: string | null;
}

export interface TransitionFeedQuery {
  /** transitions with a larger id; 0 for the oldest kept */
  afterId: number;
  limit: number;
  runId?: string;
  /** the newest `limit` transitions after afterId instead of the oldest (still in id order) */
  newest?: boolean;
}

/** The queue and the quarantine as counts: pending runs by pipeline, quarantined runs by reason. */
export interface WaitingCounts {
  /** runs waiting at an approval gate left out: they wait for a person, not a node */
  pending: { pipeline: string; runs: number }[];
  quarantined: { reason: string; runs: number }[];
}

export interface RunStore {
  registerPipelines(pipelines: PipelineRecord[]): Promise<void>;
  listPipelines(): Promise<PipelineRecord[]>;

  submitRuns(runs: NewRun[]): Promise<SubmitResult[]>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(query: RunQuery): Promise<RunPage>;
  countRunsByStatus(): Promise<Record<RunStatus, number>>;
  /** each sorted by its name; a quarantined run without a reason counts under "unknown" */
  countWaiting(): Promise<WaitingCounts>;
  listStepResults(runId: string): Promise<StepResultRecord[]>;
  listTransitions(runId: string): Promise<TransitionRecord[]>;
  /**
   * earliest scheduled_for among pending runs (of at least `minPriority` when given), or null:
   * tells the claimer when to look again
   */
  nextDueAt(pipelines: readonly string[], minPriority?: number): Promise<number | null>;

  /** every transition of every run in id order: the feed behind `/v1/events` and `events tail` */
  listTransitionsAfter(query: TransitionFeedQuery): Promise<TransitionRecord[]>;
  /** the id of the newest transition, 0 when there is none */
  lastTransitionId(): Promise<number>;
}
