import { step } from "../../../src/index.js";
import { cosine, isNegated, numbersIn, round } from "../text.js";
import { embedding, type EmbeddedSentence } from "./embedding.js";

export interface Contradiction {
  a: string;
  b: string;
  texts: [string, string];
  similarity: number;
  reason: "negation" | "numbers";
  detail: string;
}

export interface Contradictions {
  threshold: number;
  pairsCompared: number;
  contradictions: Contradiction[];
}

/**
 * Tuned on the shipped plans: restatements score ~1.0, the closest merely related pair 0.76,
 * unrelated sentences stay under 0.62. Numbers and negation then decide, not the score.
 */
export const SIMILARITY_THRESHOLD = 0.75;

const sameNumbers = (x: number[], y: number[]): boolean =>
  x.length === y.length && x.every((v, i) => v === y[i]);

/**
 * Two sentences that say nearly the same thing (the embedding ignores numbers and negation) but
 * where exactly one is negated, or where the figures differ, are flagged for a human to read.
 * It is a lead, not a verdict: "phase 1 serves 8,000" and "phase 2 serves 4,000" also match.
 */
export function compareSentences(
  a: Pick<EmbeddedSentence, "text" | "vector">,
  b: Pick<EmbeddedSentence, "text" | "vector">,
): Pick<Contradiction, "reason" | "detail"> | null {
  if (isNegated(a.text) !== isNegated(b.text)) {
    const negated = isNegated(a.text) ? "first" : "second";
    return { reason: "negation", detail: `only the ${negated} sentence is negated` };
  }
  const na = [...numbersIn(a.text)].sort((x, y) => x - y);
  const nb = [...numbersIn(b.text)].sort((x, y) => x - y);
  if (na.length > 0 && nb.length > 0 && !sameNumbers(na, nb)) {
    return { reason: "numbers", detail: `${na.join(", ")} vs ${nb.join(", ")}` };
  }
  return null;
}

export function detectContradictions(
  sentences: readonly EmbeddedSentence[],
  threshold = SIMILARITY_THRESHOLD,
): Contradictions {
  const contradictions: Contradiction[] = [];
  let pairsCompared = 0;
  // All pairs: O(n²) is fine for plan-sized documents (a 4 KB plan has ~60 sentences).
  for (let i = 0; i < sentences.length; i++) {
    for (let j = i + 1; j < sentences.length; j++) {
      const a = sentences[i] as EmbeddedSentence;
      const b = sentences[j] as EmbeddedSentence;
      if (a.terms < 3 || b.terms < 3) continue; // too short to compare meaningfully
      pairsCompared++;
      const similarity = round(cosine(a.vector, b.vector), 4);
      if (similarity < threshold) continue;
      const found = compareSentences(a, b);
      if (found)
        contradictions.push({ a: a.id, b: b.id, texts: [a.text, b.text], similarity, ...found });
    }
  }
  return { threshold, pairsCompared, contradictions };
}

export const contradictionDetection = step(
  "contradiction_detection",
  { after: [embedding] },
  (_ctx, deps): Contradictions => detectContradictions(deps.embedding.sentences),
);
