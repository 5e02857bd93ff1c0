import type {
  GateDecision,
  GateOpening,
  GateRecord,
  OpenGateCount,
  OpenGateQuery,
} from "../gates.js";
import * as gateRows from "../gate-rows.js";
import type { Lease } from "../records.js";
import { insertAudit } from "./audit.js";
import type { PgConn } from "./context.js";
import { getRun } from "./runs.js";
import { fence, leaveRunning } from "./steps.js";

/**
 * Approval gates (gate-store.ts). Every change locks the run's row before the gate's, so a node
 * opening the gate and people deciding it queue on the run row and never deadlock; a decider
 * that waited sees the gate as the winner left it.
 */
export async function openGate(
  c: PgConn,
  lease: Lease,
  opening: GateOpening,
  now: number,
): Promise<GateRecord> {
  await fence(c, lease, "updated_at = ?", [now]);
  await c.run(gateRows.insertGateSql, gateRows.insertGateParams(lease.runId, opening, now));
  const gate = (await getGate(c, lease.runId, opening.gate)) as GateRecord;
  await leaveRunning(c, lease, gateRows.gateOpenChange(gate, now));
  return gate;
}

export async function getGate(
  c: PgConn,
  runId: string,
  gate: string,
): Promise<GateRecord | undefined> {
  const row = await c.get(gateRows.selectGateSql, [runId, gate]);
  return row ? gateRows.gateFromRow(row) : undefined;
}

export async function timeOutGate(
  c: PgConn,
  lease: Lease,
  gate: string,
  now: number,
): Promise<GateRecord> {
  await fence(c, lease, "updated_at = ?", [now]);
  const before = await getGate(c, lease.runId, gate);
  if (!before) throw new Error(`run ${lease.runId} has no gate "${gate}" to time out`);
  await c.run(gateRows.decideGateSql, gateRows.timeoutParams(before, now));
  return (await getGate(c, lease.runId, gate)) as GateRecord;
}

export async function decideGate(c: PgConn, d: GateDecision): Promise<GateRecord> {
  // FOR UPDATE on the run: a second decider waits here, then finds the gate decided
  const run = await getRun(c, d.runId, true);
  const gate = await getGate(c, d.runId, d.gate);
  gateRows.checkDecision(d, run, gate);
  await c.run(gateRows.decideGateSql, gateRows.decisionParams(d));
  await c.run(gateRows.wakeGateRunSql, [d.change.at, d.change.at, d.runId]);
  const audit = gateRows.decisionAudit(d, gate);
  if (audit) await insertAudit(c, audit);
  return (await getGate(c, d.runId, d.gate)) as GateRecord;
}

export async function listOpenGates(c: PgConn, query: OpenGateQuery): Promise<GateRecord[]> {
  const { sql, params } = gateRows.listOpenGatesQuery(query);
  return (await c.all(sql, params)).map(gateRows.gateFromRow);
}

export async function countOpenGates(c: PgConn): Promise<OpenGateCount[]> {
  return (await c.all(gateRows.countOpenGatesSql)).map(gateRows.openGateCountFromRow);
}
