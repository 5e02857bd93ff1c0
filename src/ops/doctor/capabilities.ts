import { describePlacement } from "../../core/placement.js";
import { readCapabilityDemand, startServingArgs } from "../capability-demand.js";
import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

/** run ids a finding names per placement */
const sample = 5;

/**
 * Runs due and pending whose next step requires a capability (or a pool) that no live node
 * offers: online, claiming, not draining. They wait for good until such a node joins or an
 * operator cancels them; no other check sees it (the nodes are fine, just not the right ones).
 */
export const capabilitiesCheck: DoctorCheck = {
  name: "capabilities",
  description: "runs waiting for a capability (or pool) that no live node offers",
  async run(ctx) {
    if (!ctx.store) return [];
    const { now, unserved } = await readCapabilityDemand(ctx.store, ctx.settings.cluster, sample);
    return unserved.map((w): Finding => {
      const needs = describePlacement(w.placement);
      const filter = [
        "status=pending",
        w.placement.requires.length > 0 ? `requires=${w.placement.requires.join("+")}` : "",
        w.placement.pool ? `pool=${w.placement.pool}` : "",
      ].filter(Boolean);
      const cancel = `jobs cancel --filter ${filter.join(",")} --reason "no node offers ${needs}"`;
      return {
        check: "capabilities",
        // just submitted, a node offering it may be on its way; waiting past the pending limit, not
        severity: now - w.oldestDueAt > ctx.settings.pendingMaxAgeMs ? "problem" : "warning",
        summary: `${w.runs} run(s) wait for ${needs}, which no live node offers (the oldest due ${age(now - w.oldestDueAt)} ago)`,
        evidence: {
          requires: w.placement.requires,
          pool: w.placement.pool || null,
          runs: w.runs,
          run_ids: w.runIds,
          oldest_due_at: iso(w.oldestDueAt),
          oldest_age_ms: Math.max(0, now - w.oldestDueAt),
        },
        commands: [
          // on a host that has it; a cluster node also needs its join token (docs/cluster.md)
          keelFix(ctx, startServingArgs(w.placement)),
          keelFix(ctx, `${cancel} --dry-run`),
          keelFix(ctx, cancel),
        ],
      };
    });
  },
};
