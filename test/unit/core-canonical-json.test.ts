import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import {
  canonicalJson,
  hashJson,
  NotJsonError,
  toJsonData,
  type JsonValue,
} from "../../src/core/canonical-json.js";

function notJson(value: unknown): NotJsonError {
  try {
    toJsonData(value);
  } catch (e) {
    expect(e).toBeInstanceOf(NotJsonError);
    return e as NotJsonError;
  }
  throw new Error("expected a NotJsonError, nothing was thrown");
}

/** Rebuilds every object of `value` with its keys in an order given by `seeds`. */
function shuffleKeys(value: JsonValue, seeds: () => number): JsonValue {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, seeds));
  const entries = Object.entries(value).map(
    ([k, v]) => [k, shuffleKeys(v, seeds), seeds()] as const,
  );
  entries.sort((x, y) => x[2] - y[2]);
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

describe("toJsonData rejects what is not JSON, naming the path", () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ["a function", () => ({ a: [1, { b: () => 1 }] }), "$.a[1].b", /a function/],
    ["a BigInt", () => ({ a: [1, { b: 10n }] }), "$.a[1].b", /BigInt/],
    ["a symbol", () => ({ a: [1, { b: Symbol("s") }] }), "$.a[1].b", /symbol/],
    ["NaN", () => ({ a: [1, { b: Number.NaN }] }), "$.a[1].b", /non-finite number \(NaN\)/],
    [
      "Infinity",
      () => ({ a: [1, { b: Number.POSITIVE_INFINITY }] }),
      "$.a[1].b",
      /non-finite number \(Infinity\)/,
    ],
    ["-Infinity", () => [Number.NEGATIVE_INFINITY], "$[0]", /non-finite/],
    ["a Map", () => ({ a: [1, { b: new Map([["k", 1]]) }] }), "$.a[1].b", /a Map/],
    ["a Set", () => ({ s: new Set([1]) }), "$.s", /a Set/],
    ["a Buffer", () => ({ buf: Buffer.from("x") }), "$.buf", /a Buffer/],
    ["a Promise", () => ({ p: Promise.resolve(1) }), "$.p", /a Promise/],
    ["an invalid Date", () => ({ when: new Date(Number.NaN) }), "$.when", /invalid Date/],
    ["a top-level function", () => () => 1, "$", /a function/],
    [
      "a circular object",
      () => {
        const o: Record<string, unknown> = { a: [1, {}] };
        (o.a as Record<string, unknown>[])[1] = { b: o };
        return o;
      },
      "$.a[1].b",
      /circular/,
    ],
  ];
  for (const [what, make, path, problem] of cases) {
    it(`rejects ${what} at ${path}`, () => {
      const err = notJson(make());
      expect(err.path).toBe(path);
      expect(err.problem).toMatch(problem);
      expect(err.message).toBe(`${err.problem} at ${path}`);
    });
  }

  it("a value seen twice without a cycle is fine", () => {
    const shared = { x: 1 };
    expect(toJsonData({ a: shared, b: [shared, shared] })).toEqual({
      a: { x: 1 },
      b: [{ x: 1 }, { x: 1 }],
    });
  });
});

describe("toJsonData accepts JSON data", () => {
  it("returns arbitrary JSON unchanged and round-trips through canonicalJson", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const data = toJsonData(v);
        expect(data).toStrictEqual(v);
        const text = canonicalJson(data);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
        expect(canonicalJson(toJsonData(JSON.parse(text)))).toBe(text);
      }),
    );
  });

  it("canonicalJson and hashJson do not depend on key order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.infiniteStream(fc.double({ noNaN: true })), (v, stream) => {
        const it = stream[Symbol.iterator]();
        const shuffled = toJsonData(shuffleKeys(v as JsonValue, () => it.next().value as number));
        expect(canonicalJson(shuffled)).toBe(canonicalJson(v as JsonValue));
        expect(hashJson(shuffled)).toBe(hashJson(v as JsonValue));
      }),
    );
  });

  it("hashJson is the SHA-256 of the canonical text, short texts (remembered) and long alike", () => {
    const sha = (text: string): string => createHash("sha256").update(text).digest("hex");
    // more distinct short values than are remembered, each asked for twice
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 3000; i++) expect(hashJson({ i })).toBe(sha(`{"i":${i}}`));
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const value = toJsonData(v);
        expect(hashJson(value)).toBe(sha(canonicalJson(value)));
        expect(hashJson(value)).toBe(sha(canonicalJson(value)));
      }),
    );
  });

  it("equal text exactly when the data is equal (ignoring key order)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const normal = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
        const equal = isDeepStrictEqual(normal(a), normal(b));
        expect(canonicalJson(a as JsonValue) === canonicalJson(b as JsonValue)).toBe(equal);
        expect(hashJson(a as JsonValue) === hashJson(b as JsonValue)).toBe(equal);
      }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it("sorts keys at every depth and hashes to sha256 hex", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(hashJson({ b: 1, a: 2 })).toBe(hashJson({ a: 2, b: 1 }));
    expect(hashJson({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(hashJson({ a: 1 })).not.toBe(hashJson({ a: 2 }));
  });

  it("turns a Date into its ISO string, anywhere", () => {
    const d = new Date("2026-11-23T09:00:00.000Z");
    expect(toJsonData(d)).toBe("2026-11-23T09:00:00.000Z");
    expect(toJsonData({ at: [d] })).toEqual({ at: ["2026-11-23T09:00:00.000Z"] });
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(toJsonData({ date })).toEqual({ date: date.toISOString() });
      }),
    );
  });

  it("handles undefined like JSON.stringify: null at the top and in arrays, dropped in objects", () => {
    expect(toJsonData(undefined)).toBeNull();
    expect(toJsonData([1, undefined])).toEqual([1, null]);
    expect(toJsonData({ a: undefined, b: 1 })).toEqual({ b: 1 });
    expect(Object.keys(toJsonData({ a: undefined, b: 1 }) as object)).toEqual(["b"]);
  });

  it("turns holes of a sparse array into null, so canonicalJson stays valid JSON", () => {
    const sparse: unknown[] = [];
    sparse[2] = 1;
    const data = toJsonData(sparse);
    expect(data).toEqual([null, null, 1]);
    expect(canonicalJson(data)).toBe("[null,null,1]");
    expect(canonicalJson(data)).toBe(JSON.stringify(sparse));
  });

  it('keeps a "__proto__" key from JSON.parse as data', () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"a":2}') as unknown;
    const data = toJsonData(parsed) as Record<string, JsonValue>;
    expect(Object.keys(data).sort()).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(canonicalJson(data)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it("accepts null-prototype objects and class instances as plain data", () => {
    const bare = Object.assign(Object.create(null) as object, { k: 1 });
    expect(toJsonData(bare)).toEqual({ k: 1 });
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(canonicalJson(toJsonData(new Point(1, 2)))).toBe('{"x":1,"y":2}');
  });
});
