import { PipelineDefinitionError } from "./errors/definition-errors.js";

/**
 * Checks a pipeline's step graph once, at definition time: no steps, duplicate names, names that
 * are not identifiers, unknown or self `after`, and cycles (the cycle is named, step by step).
 */
export interface DagNode {
  name: string;
  after: readonly string[];
}

export interface DagShape {
  /** topological order; ties keep declaration order */
  order: string[];
  roots: string[];
  sinks: string[];
  /** step -> the steps that list it in `after` */
  dependents: Record<string, string[]>;
}

export const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkDag(pipeline: string, nodes: readonly DagNode[]): DagShape {
  if (!namePattern.test(pipeline)) {
    throw new PipelineDefinitionError(
      pipeline,
      "the pipeline name must be 1-64 letters, digits, '_', '.', '-', starting with a letter or digit",
    );
  }
  if (nodes.length === 0)
    throw new PipelineDefinitionError(pipeline, "it has no steps; give it at least one step()");
  const byName = new Map<string, DagNode>();
  for (const node of nodes) {
    if (typeof node.name !== "string" || !namePattern.test(node.name)) {
      throw new PipelineDefinitionError(
        pipeline,
        `step name ${JSON.stringify(node.name)} is invalid; use 1-64 letters, digits, '_', '.', '-'`,
        { step: node.name },
      );
    }
    if (byName.has(node.name)) {
      throw new PipelineDefinitionError(
        pipeline,
        `step "${node.name}" is defined twice; step names must be unique`,
        { step: node.name },
      );
    }
    byName.set(node.name, node);
  }
  const dependents: Record<string, string[]> = {};
  for (const node of nodes) dependents[node.name] = [];
  for (const node of nodes) {
    for (const dep of node.after) {
      if (dep === node.name) {
        throw new PipelineDefinitionError(pipeline, `step "${node.name}" lists itself in after`, {
          step: node.name,
        });
      }
      if (!byName.has(dep)) {
        throw new PipelineDefinitionError(
          pipeline,
          `step "${node.name}" runs after "${dep}", which is not a step of this pipeline`,
          { step: node.name, after: dep },
        );
      }
      dependents[dep]?.push(node.name);
    }
  }
  const order = topologicalOrder(pipeline, nodes, byName);
  return {
    order,
    roots: nodes.filter((n) => n.after.length === 0).map((n) => n.name),
    sinks: nodes.filter((n) => (dependents[n.name] ?? []).length === 0).map((n) => n.name),
    dependents,
  };
}

function topologicalOrder(
  pipeline: string,
  nodes: readonly DagNode[],
  byName: Map<string, DagNode>,
): string[] {
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  const visit = (name: string, path: string[]): void => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new PipelineDefinitionError(pipeline, `steps form a cycle: ${cycle.join(" -> ")}`, {
        cycle,
      });
    }
    state.set(name, "visiting");
    for (const dep of byName.get(name)?.after ?? []) visit(dep, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const node of nodes) visit(node.name, []);
  return order;
}

/** What readySteps asks of its sets: a Set, or a Map keyed by step name, taken as it is. */
interface NameLookup {
  has(name: string): boolean;
}

/** Steps whose dependencies are all done and that are neither done nor in flight. */
export function readySteps(
  nodes: readonly DagNode[],
  done: NameLookup,
  inFlight: NameLookup,
): string[] {
  return nodes
    .filter((n) => !done.has(n.name) && !inFlight.has(n.name) && n.after.every((d) => done.has(d)))
    .map((n) => n.name);
}

/** A step and everything downstream of it: what `retry --from-step` clears. */
export function downstreamOf(shape: DagShape, step: string): string[] {
  const out = new Set<string>();
  const stack = [step];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (out.has(next)) continue;
    out.add(next);
    stack.push(...(shape.dependents[next] ?? []));
  }
  return shape.order.filter((name) => out.has(name));
}
