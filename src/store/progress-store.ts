import type { StepProgress, ProgressQuery } from "./progress.js";

export type { StepProgress, ProgressQuery };

/**
 * A running step's latest progress (`ctx.progress({ done, total, message })`), one row per run
 * and step, replaced by each report: kept in the store so the CLI, the API and other nodes see it.
 */
export interface ProgressStore {
  /** replaces the step's progress row; the node throttles how often it calls this */
  reportProgress(progress: StepProgress): Promise<void>;
  /** one run's progress rows, in step name order */
  listProgress(runId: string): Promise<StepProgress[]>;
  /** rows updated at or after `since` (epoch ms), oldest first: the event stream's feed */
  progressSince(query: ProgressQuery): Promise<StepProgress[]>;
}
