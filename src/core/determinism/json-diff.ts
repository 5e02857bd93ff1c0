import type { JsonValue } from "../canonical-json.js";

/**
 * A structural diff of two JSON values: every path where they differ, with both values. Object
 * keys compare regardless of order; arrays compare element by element. Values are cut to a
 * sample, so a diff of two large outputs stays small.
 */
export interface FieldDiff {
  /** `$.items[2].id`; `$` alone is the whole value */
  path: string;
  a: JsonValue | undefined;
  b: JsonValue | undefined;
}

const sampleChars = 200;

export function diffJson(a: JsonValue, b: JsonValue, max = 50): FieldDiff[] {
  const out: FieldDiff[] = [];
  walk(a, b, "$", out, max);
  return out;
}

function walk(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  path: string,
  out: FieldDiff[],
  max: number,
): void {
  if (out.length >= max) return;
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      walk(a[key], b[key], `${path}.${key}`, out, max);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      walk(a[i], b[i], `${path}[${i}]`, out, max);
    return;
  }
  if (a === b || JSON.stringify(a) === JSON.stringify(b)) return;
  out.push({ path, a: sample(a), b: sample(b) });
}

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sample(v: JsonValue | undefined): JsonValue | undefined {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  return text.length <= sampleChars ? v : `${text.slice(0, sampleChars)}... (${text.length} chars)`;
}
