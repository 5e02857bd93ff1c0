import { namePattern } from "./dag.js";
import { PipelineDefinitionError } from "./errors/definition-errors.js";

/**
 * Where a step may run: the node capabilities it `requires` (all of them) and the `pool` whose
 * slots it takes ("" is every node's default pool). A run is placed by its next step: a node
 * claims it only when it offers that step's capabilities and serves its pool.
 */
export interface Placement {
  /** sorted, without duplicates, so two equal placements compare equal as text */
  readonly requires: readonly string[];
  readonly pool: string;
}

export const anywhere: Placement = Object.freeze({ requires: Object.freeze([]), pool: "" });

export function samePlacement(a: Placement, b: Placement): boolean {
  return a.pool === b.pool && a.requires.join(",") === b.requires.join(",");
}

/** "gpu,embedding@p" as health and logs say it; "anywhere" for the default */
export function describePlacement(p: Placement): string {
  if (p.requires.length === 0 && p.pool === "") return "anywhere";
  return `${p.requires.join(",")}${p.pool ? `@${p.pool}` : ""}`;
}

/** true when a node offering `capabilities` and serving `pools` may run a step placed at `p` */
export function placementServed(
  p: Placement,
  capabilities: readonly string[],
  pools: readonly string[],
): boolean {
  return (
    (p.pool === "" || pools.includes(p.pool)) && p.requires.every((c) => capabilities.includes(c))
  );
}

/** A step's `requires` and `pool` options, checked: the names follow the step name rules. */
export function checkPlacement(step: string, requires: unknown, pool: unknown): Placement {
  if (requires === undefined && pool === undefined) return anywhere;
  const fail = (message: string): never => {
    throw new PipelineDefinitionError("(unassigned)", `step "${step}" ${message}`, { step });
  };
  if (requires !== undefined && !Array.isArray(requires))
    fail(`requires must be a list of capability names, like requires: ["gpu"]`);
  for (const name of (requires ?? []) as unknown[])
    if (typeof name !== "string" || !namePattern.test(name))
      fail(`requires ${JSON.stringify(name)}: a capability is 1-64 letters, digits, '_', '.', '-'`);
  if (pool !== undefined && (typeof pool !== "string" || !namePattern.test(pool)))
    fail(`pool ${JSON.stringify(pool)}: a pool name is 1-64 letters, digits, '_', '.', '-'`);
  return Object.freeze({
    requires: Object.freeze([...new Set((requires ?? []) as string[])].sort()),
    pool: (pool as string | undefined) ?? "",
  });
}

/**
 * Where a run goes next: the placement of its first ready step, in definition order (at submit,
 * its first root step's). A node that claimed it runs the ready steps placed as it was claimed and
 * hands the run on, placed anew, when only others remain.
 */
export function nextPlacement(
  steps: readonly { name: string; after: readonly string[]; placement: Placement }[],
  done: { has(name: string): boolean },
): Placement {
  const next = steps.find((s) => !done.has(s.name) && s.after.every((d) => done.has(d)));
  return next?.placement ?? anywhere;
}
