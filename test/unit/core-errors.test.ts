import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  BadOutputError,
  classifyError,
  coerceError,
  IllegalTransitionError,
  isKeelError,
  isPermanentError,
  KeelError,
  NonErrorThrownError,
  PermanentError,
  PipelineDefinitionError,
  StepTimeoutError,
  TransientError,
  UnknownPipelineError,
} from "../../src/core/errors/index.js";

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("coerceError", () => {
  const circular: Record<string, unknown> = { name: "loop" };
  circular.self = circular;
  const cases: [string, unknown, string, RegExp][] = [
    ["a string", "boom", "string", /: "boom"$/],
    ["a number", 42, "number", /: 42$/],
    ["undefined", undefined, "undefined", /: undefined$/],
    ["null", null, "null", /: null$/],
    ["an object", { reason: "bad", n: 1 }, "object", /: \{"reason":"bad","n":1\}$/],
    ["a circular object", circular, "object", /: \[object Object\]$/],
    ["a BigInt", 10n, "bigint", /: 10$/],
    ["a symbol", Symbol("why"), "symbol", /: Symbol\(why\)$/],
    [
      "a null-prototype circular object",
      (() => {
        const o = Object.create(null) as Record<string, unknown>;
        o.o = o;
        return o;
      })(),
      "object",
      /: \[object Object\]$/,
    ],
  ];
  for (const [what, thrown, type, message] of cases) {
    it(`wraps ${what} in an Error with code non_error_thrown and a readable message`, () => {
      const err = coerceError(thrown);
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(NonErrorThrownError);
      const keel = err as NonErrorThrownError;
      expect(keel.code).toBe("non_error_thrown");
      expect(keel.name).toBe("NonErrorThrownError");
      expect(keel.message).toMatch(/^a step threw a non-Error value: /);
      expect(keel.message).toMatch(message);
      expect(keel.details).toEqual({ thrownType: type });
      expect(keel.thrown).toBe(thrown);
      expect(keel.retryable).toBe(true);
      expect(typeof keel.stack).toBe("string");
    });
  }

  it("returns an Error unchanged", () => {
    const e = new TypeError("x");
    expect(coerceError(e)).toBe(e);
  });

  it("cuts long values to 200 characters", () => {
    const err = coerceError("x".repeat(10_000));
    expect(err.message.length).toBeLessThan(260);
    expect(err.message).toContain("…");
  });

  it("never throws and always gives a non-empty message, for anything", () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withBoxedValues: true,
        }),
        (v) => {
          const err = coerceError(v);
          expect(err).toBeInstanceOf(Error);
          expect(err.message.length).toBeGreaterThan(0);
          expect((err as KeelError).code).toBe("non_error_thrown");
        },
      ),
    );
  });
});

describe("classifyError", () => {
  it("PermanentError is not retryable and keeps its code", () => {
    expect(classifyError(new PermanentError("nope"))).toEqual({
      retryable: false,
      code: "permanent",
    });
    expect(classifyError(new PermanentError("bad csv", "parse_error"))).toEqual({
      retryable: false,
      code: "parse_error",
    });
    expect(isPermanentError(new PermanentError("x"))).toBe(true);
    expect(isPermanentError(new Error("x"))).toBe(false);
  });

  it("TransientError and other KeelErrors speak for themselves", () => {
    expect(
      classifyError(new TransientError("later", "rate_limited", { nextRetryDelayMs: 30_000 })),
    ).toEqual({ retryable: true, code: "rate_limited" });
    expect(new TransientError("later", "x", { nextRetryDelayMs: 5 }).nextRetryDelayMs).toBe(5);
    expect(classifyError(new StepTimeoutError("s", 10))).toEqual({
      retryable: true,
      code: "timeout",
    });
    expect(classifyError(new BadOutputError("s", "a function at $"))).toEqual({
      retryable: false,
      code: "bad_output",
    });
    expect(classifyError(new PipelineDefinitionError("p", "bad"))).toEqual({
      retryable: false,
      code: "invalid_pipeline",
    });
  });

  it("EACCES and EPERM are permission_denied, not retryable", () => {
    expect(classifyError(withCode("open failed", "EACCES"))).toEqual({
      retryable: false,
      code: "permission_denied",
    });
    expect(classifyError(withCode("open failed", "EPERM"))).toEqual({
      retryable: false,
      code: "permission_denied",
    });
    expect(classifyError(withCode("x", "ERR_INVALID_URL"))).toEqual({
      retryable: false,
      code: "validation",
    });
  });

  it("network codes are retryable, named in lower case", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET"]) {
      expect(classifyError(withCode("socket", code))).toEqual({
        retryable: true,
        code: code.toLowerCase(),
      });
    }
  });

  it("a code wins over the error's class", () => {
    expect(classifyError(Object.assign(new TypeError("t"), { code: "EACCES" }))).toEqual({
      retryable: false,
      code: "permission_denied",
    });
  });

  it("SyntaxError is parse_error, permanent", () => {
    let parseError: unknown;
    try {
      JSON.parse("{nope");
    } catch (e) {
      parseError = e;
    }
    expect(classifyError(parseError as Error)).toEqual({ retryable: false, code: "parse_error" });
    expect(classifyError(new SyntaxError("x"))).toEqual({ retryable: false, code: "parse_error" });
  });

  it("programming errors retry as program_error; a plain Error is retryable", () => {
    expect(classifyError(new TypeError("x"))).toEqual({ retryable: true, code: "program_error" });
    expect(classifyError(new RangeError("x"))).toEqual({ retryable: true, code: "program_error" });
    expect(classifyError(new Error("x"))).toEqual({ retryable: true, code: "error" });
    expect(classifyError(withCode("x", "SOMETHING_ELSE"))).toEqual({
      retryable: true,
      code: "error",
    });
    expect(classifyError(Object.assign(new Error("x"), { code: 13 }))).toEqual({
      retryable: true,
      code: "error",
    });
  });

  it("anything coerceError makes is classified retryable non_error_thrown", () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        fc.pre(!(v instanceof Error));
        expect(classifyError(coerceError(v))).toEqual({
          retryable: true,
          code: "non_error_thrown",
        });
      }),
    );
  });
});

describe("KeelError", () => {
  it("carries code, retryable, details, cause and its class name", () => {
    const cause = new Error("root");
    const e = new KeelError("store_busy", "msg", { cause, details: { a: 1 } });
    expect(e).toMatchObject({
      code: "store_busy",
      retryable: false,
      details: { a: 1 },
      cause,
      name: "KeelError",
      message: "msg",
    });
    expect(isKeelError(e)).toBe(true);
    expect(isKeelError(new Error("x"))).toBe(false);
    expect("cause" in new KeelError("internal", "m")).toBe(false);
  });

  it("messages name what went wrong", () => {
    expect(new IllegalTransitionError("run", "succeeded", "running", "run_1").message).toBe(
      "illegal run transition succeeded -> running for run_1",
    );
    expect(new UnknownPipelineError("etl", ["a", "b"]).message).toContain(
      'unknown pipeline "etl" (known pipelines: a, b)',
    );
    expect(new UnknownPipelineError("etl", []).message).toContain("no pipeline is registered yet");
  });
});

describe("error guards by marker, not instanceof", () => {
  it("recognise an error of another copy of keel by its markers and code", async () => {
    const { hasKeelCode, isKeelError, isPermanentError, isTransientError, KeelErrorCode } =
      await import("../../src/core/errors/index.js");
    const { isStoreFull } = await import("../../src/core/errors/store-errors.js");
    // what another copy's StoreError looks like to this one: an Error with the markers
    const foreignFull = Object.assign(new Error("disk full"), {
      isKeelError: true,
      code: "store_full",
    });
    expect(isKeelError(foreignFull)).toBe(true);
    expect(isStoreFull(foreignFull)).toBe(true);
    expect(hasKeelCode(foreignFull, KeelErrorCode.storeCorrupt)).toBe(false);
    expect(isPermanentError(Object.assign(foreignFull, { isPermanentError: true }))).toBe(true);
    expect(isTransientError(foreignFull)).toBe(false);
    // a look-alike without the marker, or not an Error at all, is not keel's
    expect(isKeelError(Object.assign(new Error("x"), { code: "store_full" }))).toBe(false);
    expect(isKeelError({ isKeelError: true, code: "store_full" })).toBe(false);
    expect(new Set(Object.values(KeelErrorCode)).size).toBe(Object.keys(KeelErrorCode).length);
  });
});
