import { InvalidInputError } from "../core/errors/definition-errors.js";
import { parseTraceparent, type TraceParent } from "../core/trace-context.js";
import { maxTimeMs, minTimeMs, parseAt, timeRangeText } from "../core/duration.js";

/** Options of submit(), checked once with messages that name the field. */
export interface SubmitOptions {
  /** higher runs first; default 0 */
  priority?: number;
  /** run no earlier than: a Date, epoch ms, an ISO time, or a delay like "10m" */
  at?: Date | number | string;
  /** a second submit with the same key returns the first run */
  idempotencyKey?: string;
  source?: string;
  actor?: string;
  /**
   * the caller's W3C traceparent header: the run joins the caller's trace (its trace id becomes
   * the run's) and the run's spans are children of the caller's span
   */
  traceparent?: string;
}

export interface CheckedSubmitOptions {
  priority: number;
  at: number | undefined;
  idempotencyKey: string | null;
  source: string;
  actor: string;
  /** the traceparent as stored (lowercase), and what it says */
  traceparent: { header: string; parent: TraceParent } | null;
}

export function checkSubmitOptions(options: SubmitOptions): CheckedSubmitOptions {
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000) {
    throw new InvalidInputError(
      `priority must be a whole number from -1000000 to 1000000, got ${String(priority)}`,
      { field: "priority" },
    );
  }
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > 256)) {
    throw new InvalidInputError("idempotencyKey must be a string of 1 to 256 characters", {
      field: "idempotencyKey",
    });
  }
  return {
    priority,
    at: resolveAt(options.at),
    idempotencyKey: key ?? null,
    source: options.source ?? "manual",
    actor: options.actor ?? "api",
    traceparent: checkTraceparent(options.traceparent),
  };
}

function checkTraceparent(header: unknown): CheckedSubmitOptions["traceparent"] {
  if (header === undefined) return null;
  if (typeof header !== "string")
    throw new InvalidInputError("traceparent must be a string", { field: "traceparent" });
  const parent = parseTraceparent(header);
  return { header: header.trim().toLowerCase(), parent };
}

function resolveAt(at: SubmitOptions["at"]): number | undefined {
  if (at === undefined) return undefined;
  if (at instanceof Date) {
    if (Number.isNaN(at.getTime()) || at.getTime() < minTimeMs || at.getTime() > maxTimeMs)
      throw new InvalidInputError(`at must be a valid Date ${timeRangeText}`, { field: "at" });
    return at.getTime();
  }
  if (typeof at === "number") {
    if (!Number.isFinite(at) || at < minTimeMs || at > maxTimeMs)
      throw new InvalidInputError(`at must be epoch milliseconds ${timeRangeText}`, {
        field: "at",
      });
    return at;
  }
  try {
    return parseAt(at);
  } catch (error) {
    throw new InvalidInputError((error as Error).message, { field: "at" }, error);
  }
}
