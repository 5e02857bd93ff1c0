import type { SourceProblem } from "../../engine/scheduler.js";
import type { Store } from "../../store/store.js";
import type { SourceRecord } from "../../store/sources.js";
import type { ComponentHealth } from "./types.js";

/** A running source's next tick this far in the past means nothing ticks it. */
export const tickLateMs = 30_000;

/**
 * The sources' clock: a cron, interval or watch source that is not paused and whose next tick is
 * more than 30 s overdue is not being ticked (no node runs, or its timers are starved), and a
 * source whose last tick or scan failed on the answering node (a store write, a missing watch
 * directory) says why. Paused sources are an operator's decision: listed, not degraded.
 */
export function schedulerHealth(
  sources: readonly SourceRecord[],
  problems: readonly SourceProblem[],
  now: number,
): ComponentHealth {
  const failing = new Map(problems.map((p) => [p.source, p]));
  const late = sources.filter(
    (s) =>
      s.kind !== "manual" && !s.paused && s.nextTickAt !== null && now - s.nextTickAt > tickLateMs,
  );
  const details = {
    sources: sources.length,
    paused: sources.filter((s) => s.paused).map((s) => s.name),
    late: late.map((s) => ({
      name: s.name,
      kind: s.kind,
      nextTickAt: s.nextTickAt,
      lateMs: now - (s.nextTickAt as number),
    })),
    failing: problems.map((p) => ({ name: p.source, error: p.error, since: p.at })),
  };
  const reasons = [
    ...problems.map((p) => `source ${p.source} fails: ${p.error}`),
    ...late
      .filter((s) => !failing.has(s.name))
      .map(
        (s) =>
          `source ${s.name}'s tick due ${new Date(s.nextTickAt as number).toISOString()} is ${Math.round((now - (s.nextTickAt as number)) / 1000)} s late (is a node running?)`,
      ),
  ];
  if (reasons.length > 0)
    return { component: "scheduler", status: "degraded", reason: reasons.join("; "), details };
  const paused = details.paused.length > 0 ? `, ${details.paused.length} paused` : "";
  return {
    component: "scheduler",
    status: "healthy",
    reason:
      sources.length === 0
        ? "no sources"
        : `${sources.length} source${sources.length === 1 ? "" : "s"} on time${paused}`,
    details,
  };
}

export async function checkSchedulerHealth(
  store: Store,
  problems: readonly SourceProblem[],
  now: number,
): Promise<ComponentHealth> {
  return schedulerHealth(await store.listSources(), problems, now);
}
