import * as z from "zod";
import type { AuditPage, AuditRecord } from "../../store/audit.js";
import { freeJsonSchema, isoTime, maybeTimeSchema } from "./time.js";

/** An audit entry: who changed what, when and why; `details` is the change's own JSON. */
function auditJson(e: AuditRecord) {
  return {
    id: e.id,
    at: isoTime(e.at),
    actor: e.actor,
    action: e.action,
    target: e.target,
    reason: e.reason,
    details: e.details,
  };
}

export function auditPageJson(page: AuditPage) {
  return { entries: page.entries.map(auditJson), next_cursor: page.nextCursor };
}

const auditSchema = z.strictObject({
  id: z.number().int(),
  at: maybeTimeSchema,
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  reason: z.string().nullable(),
  details: freeJsonSchema,
});

export const auditPageSchema = z.strictObject({
  entries: z.array(auditSchema),
  next_cursor: z.number().int().nullable(),
});
