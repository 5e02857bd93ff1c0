import type { GateTimeoutPolicy } from "../core/approval-policy.js";
import { GateNotOpenError } from "../core/errors/gate-errors.js";
import { RunStatus } from "../core/status.js";
import type { NewAuditEntry } from "./audit.js";
import {
  GateStatus,
  gateTimeoutActor,
  type GateDecision,
  type GateOpening,
  type GateRecord,
  type OpenGateCount,
  type OpenGateQuery,
} from "./gates.js";
import type { RunRecord } from "./records.js";
import { num, numOrNull, type Row } from "./rows.js";
import type { LeaveRunning } from "./run-changes.js";

/*
 * The SQL of approval gates and what each change writes, the same on both backends
 * (sqlite/gates.ts and postgres/gates.ts run them in their own transactions and locks).
 */

/** runs.deferred_by of a run waiting at a gate: no breaker name holds a ':' */
export const gateMarker = (gate: string): string => `gate:${gate}`;

export function gateFromRow(row: Row): GateRecord {
  return {
    runId: row.run_id as string,
    gate: row.gate as string,
    pipeline: row.pipeline as string,
    status: row.status as GateRecord["status"],
    openedAt: num(row.opened_at),
    timeoutAt: num(row.timeout_at),
    onTimeout: row.on_timeout as GateTimeoutPolicy,
    decidedAt: numOrNull(row.decided_at),
    decidedBy: (row.decided_by as string | null) ?? null,
    note: (row.note as string | null) ?? null,
  };
}

export const selectGateSql = "SELECT * FROM gates WHERE run_id = ? AND gate = ?";

/** the first opening only: a gate reached again keeps its opening time and its timeout */
export const insertGateSql = `INSERT INTO gates (run_id, gate, pipeline, status, opened_at, timeout_at, on_timeout)
  VALUES (?, ?, ?, 'open', ?, ?, ?) ON CONFLICT (run_id, gate) DO NOTHING`;

export function insertGateParams(runId: string, o: GateOpening, now: number): unknown[] {
  return [runId, o.gate, o.pipeline, now, now + o.timeoutMs, o.onTimeout];
}

/** The run's deferral at the gate: due at its timeout, or now if it was decided meanwhile. */
export function gateOpenChange(gate: GateRecord, now: number): LeaveRunning {
  const open = gate.status === GateStatus.open;
  return {
    to: RunStatus.pending,
    set: "scheduled_for = ?, deferred_by = ?, ",
    params: [open ? gate.timeoutAt : now, open ? gateMarker(gate.gate) : null],
    reason: `gate_open:${gate.gate}`,
    now,
    details: { gate: gate.gate, opened_at: gate.openedAt, timeout_at: gate.timeoutAt },
  };
}

export const decideGateSql = `UPDATE gates SET status = ?, decided_at = ?, decided_by = ?, note = ?
  WHERE run_id = ? AND gate = ? AND status = 'open'`;

export function timeoutParams(gate: GateRecord, now: number): unknown[] {
  const status = gate.onTimeout === "approve" ? GateStatus.approved : GateStatus.rejected;
  const note = `nobody decided within ${hours(gate.timeoutAt - gate.openedAt)}: ${gate.onTimeout} by the gate's policy`;
  return [status, now, gateTimeoutActor, note, gate.runId, gate.gate];
}

export function decisionParams(d: GateDecision): unknown[] {
  const status = d.approve ? GateStatus.approved : GateStatus.rejected;
  return [status, d.change.at, d.change.actor, d.note, d.runId, d.gate];
}

/** makes the run waiting at the gate due now; its old place is kept by priority and creation */
export const wakeGateRunSql = `UPDATE runs SET scheduled_for = ?, deferred_by = NULL, updated_at = ?
  WHERE id = ? AND status = 'pending'`;

/** Throws GateNotOpenError unless `run` is waiting at `gate` and the gate is open. */
export function checkDecision(
  d: GateDecision,
  run: RunRecord | undefined,
  gate: GateRecord | undefined,
): asserts gate is GateRecord {
  if (!gate)
    throw new GateNotOpenError(
      d.runId,
      d.gate,
      run ? "it has not reached that gate" : "no such run",
    );
  if (gate.status !== GateStatus.open)
    throw new GateNotOpenError(
      d.runId,
      d.gate,
      `the gate was already ${gate.status} by ${gate.decidedBy ?? "?"} at ${iso(gate.decidedAt)}`,
    );
  if (run?.status !== RunStatus.pending)
    throw new GateNotOpenError(
      d.runId,
      d.gate,
      `the run is ${run?.status ?? "gone"}${run?.status === RunStatus.running ? " (a node holds it: try again once it waits at the gate)" : ""}`,
    );
}

export function decisionAudit(d: GateDecision, gate: GateRecord): NewAuditEntry | undefined {
  const note = d.change.audit;
  if (!note) return undefined;
  return {
    at: d.change.at,
    actor: d.change.actor,
    action: note.action,
    target: d.runId,
    reason: d.note,
    details: {
      gate: d.gate,
      pipeline: gate.pipeline,
      waited_ms: Math.max(0, d.change.at - gate.openedAt),
      ...note.details,
    },
  };
}

const openGatesFrom = `FROM gates g JOIN runs r ON r.id = g.run_id
  WHERE g.status = 'open' AND r.status = 'pending'`;

export function listOpenGatesQuery(query: OpenGateQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.pipeline !== undefined)
    (where.push(" AND g.pipeline = ?"), params.push(query.pipeline));
  if (query.runId !== undefined) (where.push(" AND g.run_id = ?"), params.push(query.runId));
  return {
    sql: `SELECT g.* ${openGatesFrom}${where.join("")} ORDER BY g.opened_at, g.run_id, g.gate LIMIT ?`,
    params: [...params, query.limit],
  };
}

export const countOpenGatesSql = `SELECT g.pipeline, g.gate, count(*) AS runs, min(g.opened_at) AS oldest
  ${openGatesFrom} GROUP BY g.pipeline, g.gate ORDER BY g.pipeline, g.gate`;

export function openGateCountFromRow(row: Row): OpenGateCount {
  return {
    pipeline: row.pipeline as string,
    gate: row.gate as string,
    runs: num(row.runs),
    oldestOpenedAt: num(row.oldest),
  };
}

/** a retry runs the gate steps it leaves without a checkpoint again: their gates open anew */
export const clearRetriedGatesSql =
  "DELETE FROM gates WHERE run_id = ? AND gate NOT IN (SELECT step FROM step_results WHERE run_id = ?)";

function hours(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 1000)}s`;
}

function iso(ms: number | null): string {
  return ms === null ? "?" : new Date(ms).toISOString();
}
