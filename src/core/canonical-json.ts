import { createHash } from "node:crypto";

/**
 * Plain JSON data only: what a step may return and what a run may take as input. `toJsonData`
 * checks a value and names the first problem (a function, a BigInt, a cycle...), so a bad output
 * becomes a clear quarantine reason instead of a silently mangled checkpoint.
 */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class NotJsonError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${problem} at ${path}`);
  }
}

/** Validates `value` as JSON data. `undefined` at the top becomes null; inside objects it is dropped, as JSON.stringify does. */
export function toJsonData(value: unknown): JsonValue {
  return item(value === undefined ? null : value, "$", undefined, undefined);
}

/**
 * One value at `parent` + `key`. The path is spelled out only for an error or an object to go
 * into, and the cycle set made at the first object: most outputs are small, and a path string per
 * property and a set per call were most of what checking one cost.
 */
function item(
  value: unknown,
  parent: string,
  key: string | number | undefined,
  seen: Set<object> | undefined,
): JsonValue {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value))
        throw new NotJsonError(pathOf(parent, key), `a non-finite number (${value})`);
      return value;
    case "bigint":
      throw new NotJsonError(pathOf(parent, key), "a BigInt (convert it to a string or number)");
    case "function":
      throw new NotJsonError(pathOf(parent, key), "a function");
    case "symbol":
      throw new NotJsonError(pathOf(parent, key), "a symbol");
    case "undefined":
      throw new NotJsonError(pathOf(parent, key), "undefined");
    case "object":
      break;
  }
  if (value === null) return null;
  return object(value as object, pathOf(parent, key), seen ?? new Set());
}

function pathOf(parent: string, key: string | number | undefined): string {
  if (key === undefined) return parent;
  return typeof key === "number" ? `${parent}[${key}]` : `${parent}.${key}`;
}

function object(obj: object, path: string, seen: Set<object>): JsonValue {
  if (seen.has(obj)) throw new NotJsonError(path, "a circular reference");
  if (obj instanceof Date) {
    if (Number.isNaN(obj.getTime())) throw new NotJsonError(path, "an invalid Date");
    return obj.toISOString();
  }
  seen.add(obj);
  try {
    // Array.from, not map: holes of a sparse array become null, as in JSON.stringify
    if (Array.isArray(obj))
      return Array.from(obj, (value, i) => item(value === undefined ? null : value, path, i, seen));
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? "unknown";
      if (
        obj instanceof Map ||
        obj instanceof Set ||
        ArrayBuffer.isView(obj) ||
        obj instanceof Promise
      ) {
        throw new NotJsonError(path, `a ${name} (only plain objects and arrays are stored)`);
      }
    }
    const out: Record<string, JsonValue> = {};
    for (const key of Object.keys(obj)) {
      const value = (obj as Record<string, unknown>)[key];
      if (value === undefined) continue;
      const checked = item(value, path, key, seen);
      // a "__proto__" key (JSON.parse makes one) must stay an own key: assignment would set the
      // prototype instead; every other key is assigned, which keeps the object fast
      if (key === "__proto__")
        Object.defineProperty(out, key, {
          value: checked,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = checked;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** JSON with object keys sorted, so equal data always has equal text and equal hashes. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
}

/**
 * The hashes of short texts already seen: steps run for their effect return the same few small
 * outputs (null, true, a count) run after run, and hashing each again showed in profiles of
 * no-op runs (bench/README.md).
 */
const shortHashes = new Map<string, string>();
const shortText = 64;
const shortHashesKept = 1024;

export function hashJson(value: JsonValue): string {
  const text = canonicalJson(value);
  if (text.length > shortText) return sha256(text);
  let hash = shortHashes.get(text);
  if (hash === undefined) {
    hash = sha256(text);
    if (shortHashes.size >= shortHashesKept) shortHashes.clear();
    shortHashes.set(text, hash);
  }
  return hash;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
