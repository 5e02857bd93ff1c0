import * as z from "zod";
import type { GateRecord } from "../../store/gates.js";
import { isoTime, maybeTimeSchema, timeSchema } from "./time.js";

/**
 * The stable JSON of `keel gates` (docs/cli.md) and `/v1/gates`: an approval gate of one run,
 * open (a run waits there) or decided. `waiting_ms` counts from its first opening to `now` while
 * open, to its decision once decided.
 */
export function gateJson(g: GateRecord, now: number) {
  return {
    run: g.runId,
    pipeline: g.pipeline,
    gate: g.gate,
    status: g.status,
    opened_at: isoTime(g.openedAt),
    waiting_ms: Math.max(0, (g.decidedAt ?? now) - g.openedAt),
    timeout_at: isoTime(g.timeoutAt),
    on_timeout: g.onTimeout,
    decided_at: isoTime(g.decidedAt),
    decided_by: g.decidedBy,
    note: g.note,
  };
}

const gateSchema = z.strictObject({
  run: z.string(),
  pipeline: z.string(),
  gate: z.string(),
  status: z.enum(["open", "approved", "rejected"]),
  opened_at: timeSchema,
  waiting_ms: z.number().int(),
  timeout_at: timeSchema,
  on_timeout: z.enum(["approve", "reject"]),
  decided_at: maybeTimeSchema,
  decided_by: z.string().nullable(),
  note: z.string().nullable(),
});
export const gateListSchema = z.strictObject({ gates: z.array(gateSchema) });
export const gateDecisionSchema = gateSchema;

export type GateJson = ReturnType<typeof gateJson>;
