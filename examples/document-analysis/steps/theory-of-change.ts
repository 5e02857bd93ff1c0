import { step } from "../../../src/index.js";
import { contentWords, jaccard } from "../text.js";
import { causalDetection, type CausalLink } from "./causal-detection.js";
import { monetaryDetection, type Amount, type CurrencyTotal } from "./monetary-detection.js";
import { responsibilityDetection, type Assignment } from "./responsibility-detection.js";

export type Level = "activity" | "output" | "outcome" | "impact" | "unresolved";

export interface ChangeNode {
  id: string;
  label: string;
  level: Level;
  owners: string[];
  sentences: string[];
  costs: { currency: string; amount: number }[];
}

export interface ChangeEdge {
  from: string;
  to: string;
  marker: string;
  sentence: string;
}

export interface TheoryOfChange {
  nodes: ChangeNode[];
  edges: ChangeEdge[];
  budget: CurrencyTotal[];
  stats: { causalLinks: number; assignments: number; amounts: number };
}

/**
 * Phrases this close (content-word Jaccard) are one idea:
 * "Earlier diagnosis" and "earlier diagnosis of malaria" become one node.
 */
export const MERGE_THRESHOLD = 0.5;
const POLARITY = new Set(
  "less fewer more lower higher low high reduced increased better worse poor improved".split(" "),
);

/** Same idea only if the direction words agree too: "less flooding" is not "Flooding". */
export function sameIdea(a: readonly string[], b: readonly string[]): boolean {
  const direction = (ws: readonly string[]): string =>
    ws
      .filter((w) => POLARITY.has(w))
      .sort()
      .join(" ");
  return jaccard(a, b) >= MERGE_THRESHOLD && direction(a) === direction(b);
}

function levelAt(depth: number, sink: boolean): Level {
  if (depth === 0) return "activity";
  if (sink) return depth >= 2 ? "impact" : "outcome";
  return depth === 1 ? "output" : "outcome";
}

/**
 * Levels come from position, not vocabulary: what nothing causes is an activity, what causes
 * nothing is where the chain ends. Kahn's algorithm gives each node its longest distance from a
 * root; nodes on or behind a cycle never get one and stay "unresolved" for dag_validation.
 */
export function assignLevels(
  nodeIds: readonly string[],
  edges: readonly Pick<ChangeEdge, "from" | "to">[],
): Map<string, Level> {
  const incoming = new Map(nodeIds.map((id) => [id, 0]));
  const outgoing = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) {
    incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
    outgoing.get(e.from)?.push(e.to);
  }
  const depth = new Map<string, number>();
  const queue = nodeIds.filter((id) => incoming.get(id) === 0);
  for (const id of queue) depth.set(id, 0);
  const remaining = new Map(incoming);
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const next of outgoing.get(id) ?? []) {
      depth.set(next, Math.max(depth.get(next) ?? 0, (depth.get(id) ?? 0) + 1));
      remaining.set(next, (remaining.get(next) ?? 0) - 1);
      if (remaining.get(next) === 0) queue.push(next);
    }
  }
  const levels = new Map<string, Level>();
  for (const id of nodeIds) {
    const d = remaining.get(id) === 0 ? depth.get(id) : undefined;
    const sink = (outgoing.get(id) ?? []).length === 0;
    levels.set(id, d === undefined ? "unresolved" : levelAt(d, sink));
  }
  return levels;
}

export function buildTheoryOfChange(
  links: readonly CausalLink[],
  assignments: readonly Assignment[],
  amounts: readonly Amount[],
): Omit<TheoryOfChange, "budget" | "stats"> {
  const nodes: (ChangeNode & { words: string[] })[] = [];
  const nodeFor = (label: string, sentence: string): ChangeNode & { words: string[] } => {
    const words = contentWords(label);
    const match = nodes.find((n) => sameIdea(n.words, words));
    const node = match ?? {
      id: `n${nodes.length + 1}`,
      label,
      level: "unresolved" as Level,
      owners: [],
      sentences: [],
      costs: [],
      words,
    };
    if (!match) nodes.push(node);
    if (!node.sentences.includes(sentence)) node.sentences.push(sentence);
    return node;
  };
  const edges: ChangeEdge[] = [];
  for (const link of links) {
    const from = nodeFor(link.cause, link.sentence).id;
    const to = nodeFor(link.effect, link.sentence).id;
    // A link whose two ends merged says nothing; duplicates would double-count paths.
    if (from === to || edges.some((e) => e.from === from && e.to === to)) continue;
    edges.push({ from, to, marker: link.marker, sentence: link.sentence });
  }
  // Work someone owns: pinned to the cause it states, or a stand-alone activity otherwise.
  for (const a of assignments) {
    const stated = links.find((l) => l.sentence === a.sentence);
    const node = stated ? nodeFor(stated.cause, a.sentence) : nodeFor(a.task, a.sentence);
    if (!node.owners.includes(a.actor)) node.owners.push(a.actor);
  }
  for (const amount of amounts) {
    for (const n of nodes.filter((node) => node.sentences.includes(amount.sentence)))
      n.costs.push({ currency: amount.currency, amount: amount.amount });
  }
  const levels = assignLevels(
    nodes.map((n) => n.id),
    edges,
  );
  return {
    nodes: nodes.map(({ words: _words, ...n }) => ({
      ...n,
      level: levels.get(n.id) ?? "unresolved",
    })),
    edges,
  };
}

export const theoryOfChange = step(
  "theory_of_change",
  { after: [causalDetection, responsibilityDetection, monetaryDetection] },
  (_ctx, deps): TheoryOfChange => {
    const { links } = deps.causal_detection;
    const { assignments } = deps.responsibility_detection;
    const money = deps.monetary_detection;
    return {
      ...buildTheoryOfChange(links, assignments, money.amounts),
      budget: money.totals,
      stats: {
        causalLinks: links.length,
        assignments: assignments.length,
        amounts: money.amounts.length,
      },
    };
  },
);
