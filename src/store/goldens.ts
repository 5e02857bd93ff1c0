import type { JsonValue } from "../core/canonical-json.js";
import type { NewAuditEntry } from "./audit.js";
import type { OperatorChange } from "./operator-change.js";
import { json, num, type Row } from "./rows.js";

/**
 * Golden records: a run's step outputs saved under a name, the reference a later run (or a new
 * version of the pipeline) is diffed against. A name is taken once; saving it again is refused
 * unless the caller replaces it on purpose.
 */
export interface GoldenStep {
  step: string;
  output: JsonValue;
  outputHash: string;
}

export interface GoldenRecord {
  name: string;
  runId: string;
  pipeline: string;
  pipelineVersion: string;
  steps: GoldenStep[];
  createdAt: number;
  createdBy: string;
  note: string | null;
}

export function goldenFromRow(row: Row): GoldenRecord {
  return {
    name: row.name as string,
    runId: row.run_id as string,
    pipeline: row.pipeline as string,
    pipelineVersion: row.pipeline_version as string,
    steps: json(row.steps) as unknown as GoldenStep[],
    createdAt: num(row.created_at),
    createdBy: row.created_by as string,
    note: (row.note as string | null) ?? null,
  };
}

export const insertGoldenSql = `INSERT INTO goldens (name, run_id, pipeline, pipeline_version, steps, created_at, created_by, note)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

export function goldenParams(g: GoldenRecord): unknown[] {
  return [
    g.name,
    g.runId,
    g.pipeline,
    g.pipelineVersion,
    JSON.stringify(g.steps),
    g.createdAt,
    g.createdBy,
    g.note,
  ];
}

export function goldenAudit(
  g: GoldenRecord,
  change: OperatorChange,
  replaced: boolean,
): NewAuditEntry | undefined {
  if (!change.audit) return undefined;
  return {
    at: change.at,
    actor: change.actor,
    action: change.audit.action,
    target: g.name,
    reason: change.reason ?? null,
    details: { run: g.runId, pipeline: g.pipeline, replaced, ...change.audit.details },
  };
}
