import type { WaitingCounts } from "./run-store.js";

/*
 * The counts a metrics scrape reads, the same SQL on both backends: pending runs by pipeline and
 * quarantined runs by reason, each walking a partial index.
 */
export const pendingByPipelineSql =
  "SELECT pipeline, count(*) AS runs FROM runs WHERE status = 'pending' GROUP BY pipeline ORDER BY pipeline";

export const quarantinedByReasonSql =
  "SELECT coalesce(quarantine_reason, 'unknown') AS reason, count(*) AS runs FROM runs WHERE status = 'quarantined' GROUP BY 1 ORDER BY 1";

/**
 * Pending runs waiting at an approval gate (runs.deferred_by `gate:<name>`), by pipeline: they wait
 * for a person, not for a node, so they are not backlog. Read off the partial index of deferred runs.
 */
export const gatedByPipelineSql = `SELECT pipeline, count(*) AS runs FROM runs
  WHERE status = 'pending' AND deferred_by >= 'gate:' AND deferred_by < 'gate;'
  GROUP BY pipeline ORDER BY pipeline`;

/** `pending` less the runs of `gated`: the backlog a node could claim now or when due */
export function waitingCounts(
  pending: { pipeline: string; runs: unknown }[],
  quarantined: { reason: string; runs: unknown }[],
  gated: { pipeline: string; runs: unknown }[] = [],
): WaitingCounts {
  const atGates = new Map(gated.map((g) => [g.pipeline, Number(g.runs)]));
  return {
    pending: pending
      .map((r) => ({ pipeline: r.pipeline, runs: Number(r.runs) - (atGates.get(r.pipeline) ?? 0) }))
      .filter((r) => r.runs > 0),
    quarantined: quarantined.map((r) => ({ reason: r.reason, runs: Number(r.runs) })),
  };
}
