import type { BreakerRecord } from "../../store/breakers.js";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, DoctorContext, Finding } from "./types.js";

/**
 * A breaker open (its dependency is down, or an operator tripped it), or half-open with no
 * traffic to close it. A half-open breaker whose probe passed only waits for trial requests:
 * resetting it is safe and reversible (it opens again at the next failures), so `--fix` does it.
 */
export const breakersCheck: DoctorCheck = {
  name: "breakers",
  description: "a breaker open, or half-open with no traffic to close it",
  async run(ctx) {
    if (!ctx.store) return [];
    const findings: Finding[] = [];
    for (const b of await ctx.store.listBreakers()) {
      if (b.state === "open") findings.push(openFinding(ctx, b));
      else if (b.state === "half_open" && b.trialSuccesses === 0)
        findings.push(await halfOpenFinding(ctx, b));
    }
    return findings;
  },
};

function openFinding(ctx: DoctorContext, b: BreakerRecord): Finding {
  const since = b.openedAt === null ? "" : ` for ${age(ctx.now - b.openedAt)}`;
  return {
    check: "breakers",
    severity: "warning",
    summary: `breaker ${b.name} is open${since}${b.manual ? " (tripped by hand)" : ""}${b.reason ? `: ${b.reason}` : ""}; runs whose next step uses it wait or fall back`,
    evidence: {
      breaker: b.name,
      state: b.state,
      manual: b.manual,
      reason: b.reason,
      opened_at: iso(b.openedAt),
    },
    commands: [
      keelFix(ctx, `breakers list`),
      // only once the dependency answers again; a reset of a dependency still down reopens it
      keelFix(ctx, `breakers reset ${b.name}`),
    ],
  };
}

async function halfOpenFinding(ctx: DoctorContext, b: BreakerRecord): Promise<Finding> {
  const [last] = await ctx.store!.listBreakerTransitions({ breaker: b.name, limit: 1 });
  const probed = last?.reason === "probe_succeeded";
  const evidence = {
    breaker: b.name,
    state: b.state,
    trial_successes: b.trialSuccesses,
    half_open_requests: b.halfOpenRequests,
    last_change: last ? { reason: last.reason, at: iso(last.at) } : null,
    probe_succeeded: probed,
  };
  const reset = keelFix(ctx, `breakers reset ${b.name}`);
  return {
    check: "breakers",
    severity: "warning",
    summary: probed
      ? `breaker ${b.name} is half-open: its probe passed, but no trial request has come to close it`
      : `breaker ${b.name} is half-open with no successful trial yet`,
    evidence,
    commands: [keelFix(ctx, "breakers list"), reset],
    ...(probed
      ? {
          autoFix: {
            id: "breaker.reset",
            description: `reset breaker ${b.name} (its probe passed; it opens again if the dependency fails)`,
            target: b.name,
          },
        }
      : {}),
  };
}
