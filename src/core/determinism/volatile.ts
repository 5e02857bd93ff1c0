import { hashJson, type JsonValue } from "../canonical-json.js";

/**
 * Volatile output fields: values a step may change from one execution to the next (a timestamp,
 * a generated id) without the step being wrong. A step names them as paths, `generatedAt`,
 * `meta.id`, `items[].id` (`[]` is every element of an array); hashes and diffs leave them out.
 */
export type VolatilePath = readonly (string | "[]")[];

const segment = /^[^.[\]]+$/;

/** Splits `items[].id` into ["items", "[]", "id"]; null when the path is malformed. */
export function parseVolatilePath(text: string): VolatilePath | null {
  const parts: string[] = [];
  for (const piece of text.split(".")) {
    const match = /^([^.[\]]*)((?:\[\])*)$/.exec(piece);
    if (!match) return null;
    const [, key = "", brackets = ""] = match;
    if (key !== "") {
      if (!segment.test(key)) return null;
      parts.push(key);
    } else if (brackets === "" || parts.length === 0) return null;
    for (let i = 0; i < brackets.length / 2; i++) parts.push("[]");
  }
  return parts.length > 0 ? parts : null;
}

/** A copy of `value` without the fields the paths name; the value itself is not changed. */
export function maskVolatile(value: JsonValue, paths: readonly VolatilePath[]): JsonValue {
  let out = value;
  for (const path of paths) out = without(out, path, 0);
  return out;
}

function without(value: JsonValue, path: VolatilePath, at: number): JsonValue {
  const key = path[at];
  if (key === undefined || value === null || typeof value !== "object") return value;
  const last = at === path.length - 1;
  if (key === "[]") {
    if (!Array.isArray(value)) return value;
    // "[]" last masks every element: the array keeps its length, its items read as masked
    return value.map((item) => (last ? "(volatile)" : without(item, path, at + 1)));
  }
  if (Array.isArray(value) || !Object.hasOwn(value, key)) return value;
  const copy: Record<string, JsonValue> = { ...value };
  if (last) delete copy[key];
  else copy[key] = without(value[key] as JsonValue, path, at + 1);
  return copy;
}

/** The hash a checkpoint records: canonical JSON of the output, volatile fields left out. */
export function outputHash(value: JsonValue, paths: readonly VolatilePath[]): string {
  return hashJson(paths.length === 0 ? value : maskVolatile(value, paths));
}
