import type { TransitionRecord } from "../store/records.js";
import type { StepProgress } from "../store/store.js";

/** A step of a running run that has started and not ended yet, with its latest progress. */
export interface RunningStep {
  step: string;
  attempt: number;
  startedAt: number;
  elapsedMs: number;
  progress: StepProgress | null;
}

/**
 * The steps in flight of a run, from its transitions: a step whose last transition went to
 * `running`. A step that ends within a turn of starting has its start written with its end, so
 * it never shows here; one that runs longer does, from its start.
 */
export function runningSteps(
  runStatus: string,
  transitions: readonly TransitionRecord[],
  progress: readonly StepProgress[],
  now: number,
): RunningStep[] {
  if (runStatus !== "running") return [];
  const last = new Map<string, TransitionRecord>();
  for (const t of transitions) if (t.step !== null) last.set(t.step, t);
  const running: RunningStep[] = [];
  for (const [step, t] of last) {
    if (t.to !== "running") continue;
    const details = t.details as { attempt?: unknown } | null;
    const attempt = typeof details?.attempt === "number" ? details.attempt : 1;
    const reported = progress.find((p) => p.step === step && p.attempt === attempt) ?? null;
    running.push({
      step,
      attempt,
      startedAt: t.at,
      elapsedMs: Math.max(0, now - t.at),
      progress: reported,
    });
  }
  return running;
}
