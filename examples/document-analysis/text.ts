/**
 * Shared text helpers for the document-analysis demo. Everything here is pure and locale-free
 * (no localeCompare, no Intl) so a replayed run produces byte-identical JSON.
 */

/** Rounds and turns -0 into 0, so outputs stay stable once serialised. */
export function round(n: number, places = 5): number {
  const f = 10 ** places;
  const r = Math.round(n * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** 32-bit FNV-1a: tiny, fast and the same on every platform (unlike a seeded hash). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Plain code-unit ordering: Array#sort with localeCompare would depend on the host's ICU data. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const STOPWORDS = new Set(
  (
    "a an and are as at be been by can for from had has have if in into is it its of on or our per so such " +
    "than that the their them then there these this those to was were which while who will with would shall " +
    "must may should also all any each both not no nor never none without only very more most other same " +
    "we they he she his her you your i me my us do does did done being over under up down out about after before"
  ).split(" "),
);

/** Lower-cased word tokens (letters only: numbers are compared separately by the detectors). */
export function words(s: string): string[] {
  return s.toLowerCase().match(/\p{L}[\p{L}\p{M}'’-]*/gu) ?? [];
}

/** Content words with a crude plural fold, so "pumps" and "pump" hash to the same feature. */
export function contentWords(s: string): string[] {
  return words(s)
    .filter((w) => w.length > 1 && !STOPWORDS.has(w))
    .map((w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w));
}

const NEGATION = /\b(not|no|never|none|cannot|neither|nor|without)\b|n['’]t\b/i;
export const isNegated = (s: string): boolean => NEGATION.test(s);

export const SCALE: Readonly<Record<string, number>> = {
  thousand: 1e3,
  k: 1e3,
  million: 1e6,
  m: 1e6,
  mn: 1e6,
  billion: 1e9,
  bn: 1e9,
};

/** "1,200.50" + "million" -> 1200500000; cents are kept, float noise is not. */
export function toNumber(digits: string, scale?: string): number {
  const base = Number(digits.replace(/,/g, ""));
  return Math.round(base * (SCALE[(scale ?? "").toLowerCase()] ?? 1) * 100) / 100;
}

/** Every number in a sentence, with spelled-out scales applied ("1.2 million" -> 1200000). */
export function numbersIn(s: string): number[] {
  const out: number[] = [];
  for (const m of s.matchAll(
    /(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(thousand|million|billion)\b)?/gi,
  )) {
    out.push(toNumber(`${m[1] ?? ""}${m[2] ?? ""}`, m[3]));
  }
  return out;
}

// A period after these does not end a sentence.
const ABBREVIATIONS = new Set(
  "e.g. i.e. dr. mr. mrs. ms. no. approx. vs. st. inc. ltd. co. dept. min. max.".split(" "),
);

/** Sentence splitter that survives "$1.2 million", "e.g." and initials without a language model. */
export function splitSentences(paragraph: string): string[] {
  const tokens = paragraph.split(/\s+/).filter(Boolean);
  const sentences: string[] = [];
  let current: string[] = [];
  tokens.forEach((token, i) => {
    current.push(token);
    const next = tokens[i + 1];
    const bare = token.replace(/["'’”)\]]+$/, "");
    const ends =
      /[.!?]$/.test(bare) && !ABBREVIATIONS.has(bare.toLowerCase()) && !/^\p{Lu}\.$/u.test(bare);
    if (ends && (next === undefined || !/^\p{Ll}/u.test(next))) {
      sentences.push(current.join(" "));
      current = [];
    }
  });
  if (current.length > 0) sentences.push(current.join(" "));
  return sentences;
}

/** Dot product; the embedding step L2-normalises, so this is the cosine similarity. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

/** Trims a phrase pulled out of a sentence down to something readable as a graph label. */
export function cleanPhrase(s: string): string {
  return s
    .replace(/^[\s,;:—–-]+|[\s,;:.!?—–-]+$/g, "")
    .replace(/^(and|but|which|this|that|so|thereby)\s+/i, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Token-set overlap, used to merge near-identical phrases into one graph node. */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size === 0 && sb.size === 0) return 1;
  let both = 0;
  for (const w of sa) if (sb.has(w)) both++;
  return both / (sa.size + sb.size - both);
}
