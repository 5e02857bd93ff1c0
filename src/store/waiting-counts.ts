import type { WaitingCounts } from "./run-store.js";

/*
 * The counts a metrics scrape reads, the same SQL on both backends: pending runs by pipeline and
 * quarantined runs by reason, each walking a partial index.
 */
export const pendingByPipelineSql =
  "SELECT pipeline, count(*) AS runs FROM runs WHERE status = 'pending' GROUP BY pipeline ORDER BY pipeline";

export const quarantinedByReasonSql =
  "SELECT coalesce(quarantine_reason, 'unknown') AS reason, count(*) AS runs FROM runs WHERE status = 'quarantined' GROUP BY 1 ORDER BY 1";

export function waitingCounts(
  pending: { pipeline: string; runs: unknown }[],
  quarantined: { reason: string; runs: unknown }[],
): WaitingCounts {
  return {
    pending: pending.map((r) => ({ pipeline: r.pipeline, runs: Number(r.runs) })),
    quarantined: quarantined.map((r) => ({ reason: r.reason, runs: Number(r.runs) })),
  };
}
