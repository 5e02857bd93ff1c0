import { step } from "../../../src/index.js";
import { contradictionDetection, type Contradictions } from "./contradiction-detection.js";
import { feasibilityScoring, type Feasibility } from "./feasibility-scoring.js";
import { theoryOfChange, type ChangeEdge, type TheoryOfChange } from "./theory-of-change.js";

export interface Report {
  document: { name: string; title: string };
  /** true when the theory of change is acyclic: every chain has a start and an end */
  valid: boolean;
  cycles: { nodes: string[]; labels: string[] }[];
  orphans: { id: string; label: string; owners: string[] }[];
  longestChain: string[];
  counts: {
    sections: number;
    sentences: number;
    responsibilities: number;
    amounts: number;
    causalLinks: number;
    contradictions: number;
    nodes: number;
    edges: number;
  };
  budget: TheoryOfChange["budget"];
  feasibility: { score: number; grade: Feasibility["grade"] };
  warnings: string[];
}

/**
 * Every cycle reachable by depth-first search, one per back edge, rotated to start at its
 * first-declared node so the same loop is reported once whatever node the search entered by.
 */
export function findCycles(
  nodeIds: readonly string[],
  edges: readonly Pick<ChangeEdge, "from" | "to">[],
): string[][] {
  const next = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  const rank = new Map(nodeIds.map((id, i) => [id, i]));
  const state = new Map<string, "open" | "done">();
  const found = new Map<string, string[]>();
  const visit = (id: string, path: string[]): void => {
    state.set(id, "open");
    for (const to of next.get(id) ?? []) {
      if (state.get(to) === "open") {
        const loop = path.slice(path.indexOf(to));
        const start = loop.reduce(
          (best, n, i) => ((rank.get(n) ?? 0) < (rank.get(loop[best] ?? "") ?? 0) ? i : best),
          0,
        );
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        found.set(rotated.join(">"), rotated);
      } else if (!state.has(to)) visit(to, [...path, to]);
    }
    state.set(id, "done");
  };
  for (const id of nodeIds) if (!state.has(id)) visit(id, [id]);
  return [...found.values()];
}

/** The longest root-to-sink path in the acyclic part: the plan's main line of argument. */
export function longestChain(
  nodeIds: readonly string[],
  edges: readonly Pick<ChangeEdge, "from" | "to">[],
): string[] {
  const memo = new Map<string, string[]>();
  const onPath = new Set<string>();
  const from = (id: string): string[] => {
    const cached = memo.get(id);
    if (cached) return cached;
    onPath.add(id);
    let best: string[] = [];
    for (const e of edges) {
      if (e.from !== id || onPath.has(e.to)) continue;
      const tail = from(e.to);
      if (tail.length > best.length) best = tail;
    }
    onPath.delete(id);
    const chain = [id, ...best];
    memo.set(id, chain);
    return chain;
  };
  return nodeIds.map(from).reduce<string[]>((best, c) => (c.length > best.length ? c : best), []);
}

export function validate(
  toc: TheoryOfChange,
  feasibility: Feasibility,
  contradictions: Contradictions,
): Report {
  const ids = toc.nodes.map((n) => n.id);
  const label = new Map(toc.nodes.map((n) => [n.id, n.label]));
  const cycles = findCycles(ids, toc.edges).map((nodes) => ({
    nodes,
    labels: nodes.map((id) => label.get(id) ?? id),
  }));
  const linked = new Set(toc.edges.flatMap((e) => [e.from, e.to]));
  const orphans = toc.nodes
    .filter((n) => !linked.has(n.id))
    .map(({ id, label: l, owners }) => ({ id, label: l, owners }));
  // Nodes on or behind a cycle have no level; chains are measured only where there is a start.
  const resolved = new Set(toc.nodes.filter((n) => n.level !== "unresolved").map((n) => n.id));
  const warnings = [
    ...cycles.map((c) => `circular reasoning: ${[...c.labels, c.labels[0]].join(" -> ")}`),
    ...contradictions.contradictions.map(
      (c) => `possible contradiction (${c.reason}: ${c.detail}): "${c.texts[0]}" / "${c.texts[1]}"`,
    ),
    ...feasibility.warnings,
  ];
  if (orphans.length > 0)
    warnings.push(`${orphans.length} assigned tasks are not linked to any stated result`);
  return {
    document: { name: feasibility.document.name, title: feasibility.document.title },
    valid: cycles.length === 0,
    cycles,
    orphans,
    longestChain: longestChain(
      [...resolved],
      toc.edges.filter((e) => resolved.has(e.from) && resolved.has(e.to)),
    ).map((id) => label.get(id) ?? id),
    counts: {
      sections: feasibility.document.sections,
      sentences: feasibility.document.sentences,
      responsibilities: toc.stats.assignments,
      amounts: toc.stats.amounts,
      causalLinks: toc.stats.causalLinks,
      contradictions: contradictions.contradictions.length,
      nodes: toc.nodes.length,
      edges: toc.edges.length,
    },
    budget: toc.budget,
    feasibility: { score: feasibility.score, grade: feasibility.grade },
    warnings,
  };
}

export const dagValidation = step(
  "dag_validation",
  { after: [theoryOfChange, feasibilityScoring, contradictionDetection] },
  (_ctx, deps): Report =>
    validate(deps.theory_of_change, deps.feasibility_scoring, deps.contradiction_detection),
);
