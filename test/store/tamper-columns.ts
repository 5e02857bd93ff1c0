import type { StoreTamper } from "../../src/store/store-case/maintenance.case.test.js";

/** The columns and values a tamper helper's setRunFields writes, for either backend's UPDATE. */
export function runFieldColumns(
  fields: Parameters<StoreTamper["setRunFields"]>[1],
): [string, unknown][] {
  const columns: [string, unknown][] = [];
  if (fields.status !== undefined) columns.push(["status", fields.status]);
  if (fields.nodeId !== undefined) columns.push(["node_id", fields.nodeId]);
  if (fields.leaseExpiresAt !== undefined)
    columns.push(["lease_expires_at", fields.leaseExpiresAt]);
  if (fields.scheduledFor !== undefined) columns.push(["scheduled_for", fields.scheduledFor]);
  if (fields.output !== undefined) columns.push(["output", fields.output]);
  return columns;
}
