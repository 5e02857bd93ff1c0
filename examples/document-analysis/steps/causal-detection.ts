import { step } from "../../../src/index.js";
import { cleanPhrase } from "../text.js";
import { embedding } from "./embedding.js";
import type { Sentence } from "./segmentation.js";

export interface CausalLink {
  sentence: string;
  section: string;
  marker: string;
  cause: string;
  effect: string;
}

export interface CausalFindings {
  links: CausalLink[];
}

// "reduces"/"increases" only in the present tense: "reduced poverty" is an outcome, not a link.
const FORWARD_MARKERS = String.raw`lead(?:s|ing)? to|led to|result(?:s|ing|ed)? in|contribut(?:e|es|ing|ed) to|enabl(?:e|es|ed)|caus(?:e|es|ed)|reduces|increases|in order to|so that|therefore|thus`;
const BACKWARD_MARKERS = String.raw`because of|because|due to|as a result of`;
// One scan finds every marker in reading order, so "A results in B, which leads to C" is a chain.
const MARKER = new RegExp(
  String.raw`\s*,?\s*\b(?:which\s+|and\s+)?(${BACKWARD_MARKERS}|${FORWARD_MARKERS})\b\s*`,
  "gi",
);
const BACKWARD = new RegExp(String.raw`^(?:${BACKWARD_MARKERS})$`, "i");
// Sentence-initial connective: the cause is the previous sentence of the same paragraph.
const CONNECTIVE = /^(therefore|as a result|consequently|thus|hence),?\s+/i;
const LEADING_CAUSE = /^(because|due to|as a result of)\s+([^,]+),\s*(.+)$/i;
// "X reduces Y" means the effect is Y going down; the label says so, so chains still read right.
const DIRECTIONAL: readonly [RegExp, string][] = [
  [/^reduc/, "reduced"],
  [/^increas/, "increased"],
];

/** Only the clause at the marker counts: "In 2025, the pumps lead to B; C" -> "the pumps", "B". */
function nearClause(s: string, side: "left" | "right"): string {
  const parts = s.split(/[;:]|,\s+(?=(?:the|a|an|and|but|while|with)\s)/i);
  return cleanPhrase((side === "left" ? parts.at(-1) : parts[0]) ?? s);
}

export function detectCausal(
  sentence: Pick<Sentence, "id" | "section" | "text">,
  previous?: Pick<Sentence, "text">,
): CausalLink[] {
  let text = sentence.text.replace(/[.!?]+$/, "");
  const base = { sentence: sentence.id, section: sentence.section };
  const links: CausalLink[] = [];
  const connective = CONNECTIVE.exec(text);
  if (connective) {
    text = text.slice(connective[0].length);
    if (previous)
      links.push({
        ...base,
        marker: (connective[1] ?? "").toLowerCase(),
        cause: cleanPhrase(previous.text),
        effect: cleanPhrase(text),
      });
  }
  const lead = LEADING_CAUSE.exec(text);
  if (lead)
    return [
      ...links,
      {
        ...base,
        marker: (lead[1] ?? "").toLowerCase(),
        cause: cleanPhrase(lead[2] ?? ""),
        effect: cleanPhrase(lead[3] ?? ""),
      },
    ];
  const markers = [...text.matchAll(MARKER)];
  const pieces: string[] = [];
  let from = 0;
  for (const m of markers) {
    pieces.push(text.slice(from, m.index));
    from = m.index + m[0].length;
  }
  pieces.push(text.slice(from));
  // Labels are the clauses between markers; a directional verb rewrites the clause after it.
  const labels = pieces.map((p, i) => {
    const marker = (markers[i - 1]?.[1] ?? "").toLowerCase();
    const clause = nearClause(p, i === 0 ? "left" : "right");
    const dir = DIRECTIONAL.find(([re]) => re.test(marker));
    return dir && clause !== "" ? `${dir[1]} ${clause.replace(/^(the|a|an)\s+/i, "")}` : clause;
  });
  markers.forEach((m, i) => {
    const left = i === 0 ? labels[0] : nearClause(labels[i] ?? "", "left");
    const right = labels[i + 1];
    if (!left || !right) return;
    const marker = (m[1] ?? "").toLowerCase();
    const backward = BACKWARD.test(marker);
    links.push({
      ...base,
      marker,
      cause: backward ? right : left,
      effect: backward ? left : right,
    });
  });
  return links;
}

export function detectCausalLinks(
  sentences: readonly Pick<Sentence, "id" | "section" | "paragraph" | "text">[],
): CausalFindings {
  const links = sentences.flatMap((s, i) => {
    const prev = sentences[i - 1];
    return detectCausal(s, prev && prev.paragraph === s.paragraph ? prev : undefined);
  });
  return { links };
}

export const causalDetection = step(
  "causal_detection",
  { after: [embedding] },
  (_ctx, deps): CausalFindings => detectCausalLinks(deps.embedding.sentences),
);
