import type {
  GateDecision,
  GateOpening,
  GateRecord,
  OpenGateCount,
  OpenGateQuery,
} from "../gates.js";
import * as gateRows from "../gate-rows.js";
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
    ctx.sql(gateRows.insertGateSql).run(...gateRows.insertGateParams(lease.runId, opening, now));
    const gate = getGate(ctx, lease.runId, opening.gate) as GateRecord;
    leaveRunning(ctx, lease, gateRows.gateOpenChange(gate, now));
    return gate;
  });
}

export function getGate(ctx: SqliteContext, runId: string, gate: string): GateRecord | undefined {
  const row = ctx.sql(gateRows.selectGateSql).get(runId, gate) as Row | undefined;
  return row ? gateRows.gateFromRow(row) : undefined;
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
    ctx.sql(gateRows.decideGateSql).run(...gateRows.timeoutParams(before, now));
    return getGate(ctx, lease.runId, gate) as GateRecord;
  });
}

export function decideGate(ctx: SqliteContext, d: GateDecision): GateRecord {
  return ctx.write(() => {
    const run = getRun(ctx, d.runId);
    const gate = getGate(ctx, d.runId, d.gate);
    gateRows.checkDecision(d, run, gate);
    ctx.sql(gateRows.decideGateSql).run(...gateRows.decisionParams(d));
    ctx.sql(gateRows.wakeGateRunSql).run(d.change.at, d.change.at, d.runId);
    const audit = gateRows.decisionAudit(d, gate);
    if (audit) insertAudit(ctx, audit);
    return getGate(ctx, d.runId, d.gate) as GateRecord;
  });
}

export function listOpenGates(ctx: SqliteContext, query: OpenGateQuery): GateRecord[] {
  const { sql, params } = gateRows.listOpenGatesQuery(query);
  return (ctx.sql(sql).all(...params) as Row[]).map(gateRows.gateFromRow);
}

export function countOpenGates(ctx: SqliteContext): OpenGateCount[] {
  return (ctx.sql(gateRows.countOpenGatesSql).all() as Row[]).map(gateRows.openGateCountFromRow);
}
