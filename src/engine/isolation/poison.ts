import type { TransitionRecord } from "../../store/records.js";
import type { Store } from "../../store/store.js";

/**
 * A run that killed its worker process `poisonAfter` times (config `isolation.poison_after`) is
 * quarantined as `poison` instead of being retried again. The count comes from the run's own
 * recorded step failures (code `worker_crashed`), all steps and nodes together, since the last
 * operator retry: a run retried by hand after a fix starts from zero.
 */
export const defaultPoisonAfter = 3;

export function workerCrashes(transitions: readonly TransitionRecord[]): number {
  let crashes = 0;
  for (const t of transitions) {
    if (t.step === null && t.reason === "operator_retry") crashes = 0;
    else if (t.step !== null && t.to === "failed" && t.reason === "worker_crashed") crashes++;
  }
  return crashes;
}

export async function isPoisoned(
  store: Store,
  runId: string,
  poisonAfter = defaultPoisonAfter,
): Promise<boolean> {
  return workerCrashes(await store.listTransitions(runId)) >= poisonAfter;
}
