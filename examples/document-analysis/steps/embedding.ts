import { step } from "../../../src/index.js";
import { embeddingBreaker, embeddingServiceUrl, embedRemote } from "../embedding-client.js";
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

function embeddingOf(
  seg: Omit<Embedding, "dimensions" | "sentences"> & { sentences: readonly Sentence[] },
  sentences: EmbeddedSentence[],
): Embedding {
  return {
    name: seg.name,
    title: seg.title,
    dimensions: DIMENSIONS,
    sections: seg.sections.map(({ id, heading }) => ({ id, heading })),
    sentences,
  };
}

// The detectors that fan out from here read sentences from this output, so it carries them along.
// With $KEEL_DEMO_EMBEDDING_URL set, the vectors come from the embedding service, behind a breaker;
// while it is down the fallback embeds locally (the same vectors), marked degraded, unless
// KEEL_DEMO_EMBEDDING_FALLBACK=off, when runs wait for the service instead.
export const embedding = step(
  "embedding",
  {
    after: [segmentation],
    timeout: 30_000,
    uses: [embeddingBreaker],
    fallback: (_ctx, deps) => {
      if (process.env.KEEL_DEMO_EMBEDDING_FALLBACK === "off")
        throw new Error("the demo's embedding fallback is off (KEEL_DEMO_EMBEDDING_FALLBACK=off)");
      return embeddingOf(deps.segmentation, embedSentences(deps.segmentation));
    },
  },
  async (ctx, deps): Promise<Embedding> => {
    const seg = deps.segmentation;
    const url = embeddingServiceUrl();
    if (!url) return embeddingOf(seg, embedSentences(seg));
    const texts = seg.sentences.map((s) => s.text);
    const vectors = await embedRemote(url, texts, ctx.signal);
    return embeddingOf(
      seg,
      seg.sentences.map((s, i) => ({
        ...s,
        terms: vectors[i]?.terms ?? 0,
        vector: vectors[i]?.vector ?? [],
      })),
    );
  },
);
