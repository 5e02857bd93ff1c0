import { randomFillSync } from "node:crypto";
import { InvalidInputError } from "./errors/definition-errors.js";

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): the `traceparent` header a caller
 * submits a run with, and the one a step hands on. Only version 00 is written; a later version is
 * read by its first four fields, as the spec asks.
 */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero */
  traceId: string;
  /** the caller's span: 16 lowercase hex digits, not all zero */
  spanId: string;
  sampled: boolean;
}

const shape = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a traceparent header; a malformed one is refused with what is wrong, naming `field`. */
export function parseTraceparent(header: string, field = "traceparent"): TraceParent {
  const text = header.trim().toLowerCase();
  const m = shape.exec(text);
  const bad = (why: string) =>
    new InvalidInputError(
      `${field} ${JSON.stringify(header.slice(0, 80))} is not a W3C traceparent: ${why}; expected 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>, e.g. 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01`,
      { field },
    );
  if (!m) throw bad("wrong shape");
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === "ff") throw bad("version ff is invalid");
  if (version === "00" && rest !== undefined) throw bad("version 00 has exactly four fields");
  if (/^0+$/.test(traceId)) throw bad("the trace id is all zeros");
  if (/^0+$/.test(spanId)) throw bad("the span id is all zeros");
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

// span ids come from a pool refilled 256 at a time: one random read per id costs microseconds
const pool = Buffer.alloc(8 * 256);
let next = pool.length;

export function newSpanId(): string {
  for (;;) {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    const id = pool.toString("hex", next, next + 8);
    next += 8;
    if (id !== "0000000000000000") return id;
  }
}
