import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

/** the limit at its minimum this long, with no pressure now, is stuck rather than adapting */
export const stuckLowMs = 300_000;

/**
 * CPU pressure on the node answering (event-loop delay, step latency, cgroup throttling), and an
 * adaptive worker limit that stayed at its minimum after the pressure ended. Only a running node
 * knows either: with none, the check finds nothing.
 */
export const cpuCheck: DoctorCheck = {
  name: "cpu",
  description: "CPU pressure on the node, an adaptive worker limit stuck at its minimum",
  async run(ctx) {
    const w = ctx.live?.workers;
    if (!w?.adaptive) return [];
    const findings: Finding[] = [];
    const evidence = {
      limit: w.limit,
      min: w.min,
      max: w.max,
      signals: w.pressure.signals,
      last_change: w.lastChange ? { ...w.lastChange, at: iso(w.lastChange.at) } : null,
      deferring_below_priority: w.deferring ? w.deferBelowPriority : null,
    };
    const commands = [
      keelFix(ctx, "status --verbose"),
      keelFix(ctx, "health check workers --verbose"),
    ];
    if (w.pressure.active)
      findings.push({
        check: "cpu",
        severity: "warning",
        summary: `the node is under CPU pressure (${w.pressure.reason ?? "pressure"}): ${w.limit} of up to ${w.max} runs at once${w.deferring ? `, runs below priority ${w.deferBelowPriority} wait` : ""}`,
        evidence,
        commands: [...commands, "top -b -n 1 | head -20"],
      });
    else if (w.limit === w.min && w.min < w.max) {
      const since = w.lastChange?.at ?? ctx.live?.startedAt ?? ctx.now;
      if (ctx.now - since >= stuckLowMs)
        findings.push({
          check: "cpu",
          severity: "warning",
          summary: `the worker limit has stayed at its minimum (${w.min}) for ${age(ctx.now - since)} with no CPU pressure now`,
          evidence,
          // a restart starts the limit from the top again
          commands: [...commands, keelFix(ctx, "stop"), keelFix(ctx, "start")],
        });
    }
    return findings;
  },
};
