import { TelemetryKind } from "../../store/telemetry.js";
import { keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

const hourMs = 3_600_000;

/**
 * Retries climbing for one step: failed attempts of a step in the last hour at or above
 * `doctor.retry_burst` and more than in the hour before (from the per-minute telemetry every node
 * writes), with the error code most of them had.
 */
export const retriesCheck: DoctorCheck = {
  name: "retries",
  description: "failed attempts of one step climbing over the last hour",
  async run(ctx) {
    if (!ctx.store) return [];
    const rows = await ctx.store.readTelemetry({
      since: ctx.now - 2 * hourMs,
      kinds: [TelemetryKind.failure],
    });
    const steps = new Map<string, { now: number; before: number; codes: Record<string, number> }>();
    for (const row of rows) {
      const key = `${row.pipeline}\u0000${row.step}`;
      const s = steps.get(key) ?? { now: 0, before: 0, codes: {} };
      if (row.minute >= ctx.now - hourMs) {
        s.now += row.count;
        s.codes[row.label] = (s.codes[row.label] ?? 0) + row.count;
      } else s.before += row.count;
      steps.set(key, s);
    }
    const findings: Finding[] = [];
    for (const [key, s] of steps) {
      if (s.now < ctx.settings.retryBurst || s.now <= s.before) continue;
      const [pipeline, step] = key.split("\u0000") as [string, string];
      const [code] = Object.entries(s.codes).sort((a, b) => b[1] - a[1])[0] ?? ["unknown"];
      findings.push({
        check: "retries",
        severity: "warning",
        summary: `step ${step} of ${pipeline} failed ${s.now} time(s) in the last hour (${s.before} the hour before), mostly ${code}`,
        evidence: { pipeline, step, last_hour: s.now, hour_before: s.before, by_code: s.codes },
        commands: [
          keelFix(ctx, `telemetry failures --since 1h --pipeline ${pipeline}`),
          keelFix(ctx, "breakers list"),
          keelFix(ctx, `events tail --follow`),
        ],
      });
    }
    return findings;
  },
};
