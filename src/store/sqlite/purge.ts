import { InvalidInputError } from "../../core/errors/definition-errors.js";
import { AuditAction } from "../audit.js";
import type { PurgeRequest, PurgeResult } from "../operator-requests.js";
import type { Row } from "../rows.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";

/**
 * Purging the quarantine: quarantined runs, with their checkpoints and transitions, deleted in
 * one transaction with the purge's audit entry. No other status is ever deleted.
 */
// in the audit entry, enough ids to find the runs in a backup; the count says how many in all
const auditedIds = 1000;

export function purgeRuns(ctx: SqliteContext, req: PurgeRequest): PurgeResult {
  if (req.status !== "quarantined")
    throw new InvalidInputError(`only quarantined runs can be purged, not ${String(req.status)}`, {
      field: "status",
    });
  return ctx.write(() => {
    const where = ["status = 'quarantined'"];
    const params: unknown[] = [];
    if (req.olderThan !== undefined) (where.push("finished_at < ?"), params.push(req.olderThan));
    if (req.reason !== undefined) (where.push("quarantine_reason = ?"), params.push(req.reason));
    const ids = (
      ctx
        .sql(`SELECT id FROM runs WHERE ${where.join(" AND ")} ORDER BY id`)
        .all(...params) as Row[]
    ).map((r) => r.id as string);
    if (req.dryRun) return { ids, count: ids.length, dryRun: true };
    const list = JSON.stringify(ids);
    // the ids of the transitions deleted here are never handed out again (context.ts)
    ctx
      .sql(
        "UPDATE transition_ids SET high_water = max(high_water, coalesce((SELECT max(id) FROM transitions), 0))",
      )
      .run();
    ctx.sql("DELETE FROM step_results WHERE run_id IN (SELECT value FROM json_each(?))").run(list);
    ctx.sql("DELETE FROM transitions WHERE run_id IN (SELECT value FROM json_each(?))").run(list);
    // the status test again: a purge can never take anything but a quarantined run with it
    ctx
      .sql(
        "DELETE FROM runs WHERE status = 'quarantined' AND id IN (SELECT value FROM json_each(?))",
      )
      .run(list);
    insertAudit(ctx, {
      at: req.now,
      actor: req.actor,
      action: AuditAction.quarantinePurge,
      target: "quarantine",
      reason: null,
      details: {
        count: ids.length,
        olderThan: req.olderThan ?? null,
        quarantineReason: req.reason ?? null,
        ids: ids.slice(0, auditedIds),
        idsTruncated: ids.length > auditedIds,
      },
    });
    return { ids, count: ids.length, dryRun: false };
  });
}
