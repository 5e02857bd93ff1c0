import { KeelError } from "../core/errors/keel-error.js";
import { terminalRunStatuses } from "../core/status.js";
import type { RunRecord } from "../store/records.js";

/**
 * Cancelling a run that already ended is an operator's mistake, not a state-machine puzzle: say
 * that it ended, how and when, and what would do what they meant. Nothing is written.
 */
export function assertRunNotEnded(run: RunRecord | undefined): void {
  if (!run || !terminalRunStatuses.has(run.status)) return;
  const at = run.finishedAt ?? run.updatedAt;
  const when = new Date(at).toISOString();
  const instead =
    run.status === "quarantined"
      ? `to run it again, \`keel quarantine retry ${run.id} --note <why>\`; to drop it, \`keel quarantine purge\``
      : `to run it again, \`keel jobs retry ${run.id} --note <why>\``;
  throw new KeelError(
    "illegal_transition",
    `run ${run.id} already ended: ${run.status} at ${when}, so there is nothing to cancel; ${instead}`,
    { details: { kind: "run", id: run.id, from: run.status, to: "cancelled", ended_at: when } },
  );
}
