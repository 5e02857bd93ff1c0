import type {
  GateDecision,
  GateOpening,
  GateRecord,
  OpenGateCount,
  OpenGateQuery,
} from "../gates.js";
import {
  checkDecision,
  countOpenGatesSql,
  decideGateSql,
  decisionAudit,
  decisionParams,
  gateFromRow,
  gateOpenChange,
  insertGateParams,
  insertGateSql,
  listOpenGatesQuery,
  openGateCountFromRow,
  selectGateSql,
  timeoutParams,
  wakeGateRunSql,
} from "../gate-rows.js";
import type { Lease } from "../records.js";
import type { Row } from "../rows.js";
import { insertAudit } from "./audit.js";
import type { SqliteContext } from "./context.js";
import { getRun } from "./runs.js";
import { fence, leaveRunning } from "./steps.js";

/** Approval gates (gate-store.ts): each change one write transaction, SQLite's single writer. */
export function openGate(
  ctx: SqliteContext,
  lease: Lease,
  opening: GateOpening,
  now: number,
): GateRecord {
  return ctx.write(() => {
    // the lease first: a node that lost the run opens nothing
    fence(ctx, lease, "updated_at = ?", [now]);
    ctx.sql(insertGateSql).run(...insertGateParams(lease.runId, opening, now));
    const gate = getGate(ctx, lease.runId, opening.gate) as GateRecord;
    leaveRunning(ctx, lease, gateOpenChange(gate, now));
    return gate;
  });
}

export function getGate(ctx: SqliteContext, runId: string, gate: string): GateRecord | undefined {
  const row = ctx.sql(selectGateSql).get(runId, gate) as Row | undefined;
  return row ? gateFromRow(row) : undefined;
}

export function timeOutGate(
  ctx: SqliteContext,
  lease: Lease,
  gate: string,
  now: number,
): GateRecord {
  return ctx.write(() => {
    fence(ctx, lease, "updated_at = ?", [now]);
    const before = getGate(ctx, lease.runId, gate);
    if (!before) throw new Error(`run ${lease.runId} has no gate "${gate}" to time out`);
    ctx.sql(decideGateSql).run(...timeoutParams(before, now));
    return getGate(ctx, lease.runId, gate) as GateRecord;
  });
}

export function decideGate(ctx: SqliteContext, d: GateDecision): GateRecord {
  return ctx.write(() => {
    const run = getRun(ctx, d.runId);
    const gate = getGate(ctx, d.runId, d.gate);
    checkDecision(d, run, gate);
    ctx.sql(decideGateSql).run(...decisionParams(d));
    ctx.sql(wakeGateRunSql).run(d.change.at, d.change.at, d.runId);
    const audit = decisionAudit(d, gate);
    if (audit) insertAudit(ctx, audit);
    return getGate(ctx, d.runId, d.gate) as GateRecord;
  });
}

export function listOpenGates(ctx: SqliteContext, query: OpenGateQuery): GateRecord[] {
  const { sql, params } = listOpenGatesQuery(query);
  return (ctx.sql(sql).all(...params) as Row[]).map(gateFromRow);
}

export function countOpenGates(ctx: SqliteContext): OpenGateCount[] {
  return (ctx.sql(countOpenGatesSql).all() as Row[]).map(openGateCountFromRow);
}
