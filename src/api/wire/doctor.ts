import * as z from "zod";
import type { DoctorReport } from "../../ops/doctor/index.js";
import type { AppliedFix } from "../../ops/doctor/fixes.js";
import { isoTime, timeSchema } from "./time.js";

/** `keel doctor`: the findings (what, how bad, the figures, the commands) and, with --fix, the fixes. */
export function doctorJson(report: DoctorReport) {
  return {
    status: report.status,
    checked_at: isoTime(report.checkedAt)!,
    checks: report.checks,
    findings: report.findings.map((f) => ({
      check: f.check,
      severity: f.severity,
      summary: f.summary,
      evidence: f.evidence,
      commands: f.commands,
      auto_fix: f.autoFix ?? null,
    })),
    errors: report.errors,
  };
}

const autoFixSchema = z.strictObject({
  id: z.string(),
  description: z.string(),
  target: z.string().nullable(),
});

export const doctorSchema = z.strictObject({
  status: z.enum(["ok", "warning", "problem"]),
  checked_at: timeSchema,
  checks: z.array(z.string()),
  findings: z.array(
    z.strictObject({
      check: z.string(),
      severity: z.enum(["warning", "problem"]),
      summary: z.string(),
      evidence: z.record(z.string(), z.unknown()),
      commands: z.array(z.string()),
      auto_fix: autoFixSchema.nullable(),
    }),
  ),
  errors: z.array(z.strictObject({ check: z.string(), error: z.string() })),
});

export function fixesJson(report: DoctorReport, applied: readonly AppliedFix[]) {
  return { ...doctorJson(report), fixes: applied.map((f) => ({ ...f })) };
}

export const doctorFixSchema = doctorSchema.extend({
  fixes: z.array(
    autoFixSchema.extend({ check: z.string(), ok: z.boolean(), result: z.string() }).strict(),
  ),
});
