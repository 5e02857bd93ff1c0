import { step } from "../../../src/index.js";
import { contentWords, fnv1a, round } from "../text.js";
import { segmentation, type Sentence } from "./segmentation.js";

export const DIMENSIONS = 64;

export interface EmbeddedSentence extends Sentence {
  /** content words that went into the vector: 0 means an all-zero vector */
  terms: number;
  vector: number[];
}

export interface Embedding {
  name: string;
  title: string;
  dimensions: number;
  sections: { id: string; heading: string }[];
  sentences: EmbeddedSentence[];
}

/**
 * Signed feature hashing (the "hashing trick"): no vocabulary to ship or fit, and the same words
 * always land in the same slot. The sign bit makes collisions cancel on average instead of
 * piling up. Numbers and negations are left out on purpose: the contradiction detector wants
 * "serve 12,000 households" and "will not serve 9,500 households" to look alike here.
 */
export function embedText(
  text: string,
  dimensions = DIMENSIONS,
): { terms: number; vector: number[] } {
  const vector = new Array<number>(dimensions).fill(0);
  const terms = contentWords(text);
  for (const term of terms) {
    const h = fnv1a(term);
    const slot = h % dimensions;
    vector[slot] = (vector[slot] ?? 0) + (h >>> 31 === 1 ? -1 : 1);
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  // Rounded to 5 places so the JSON is stable and small; cosine error stays below 1e-4.
  return { terms: terms.length, vector: vector.map((v) => (norm === 0 ? 0 : round(v / norm, 5))) };
}

export function embedSentences(
  seg: { sentences: readonly Sentence[] },
  dimensions = DIMENSIONS,
): EmbeddedSentence[] {
  return seg.sentences.map((s) => ({ ...s, ...embedText(s.text, dimensions) }));
}

// The detectors that fan out from here read sentences from this output, so it carries them along.
export const embedding = step(
  "embedding",
  { after: [segmentation], timeout: 30_000 },
  (_ctx, deps): Embedding => {
    const seg = deps.segmentation;
    return {
      name: seg.name,
      title: seg.title,
      dimensions: DIMENSIONS,
      sections: seg.sections.map(({ id, heading }) => ({ id, heading })),
      sentences: embedSentences(seg),
    };
  },
);
