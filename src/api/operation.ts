import * as z from "zod";
import { KeelError } from "../core/errors/keel-error.js";
import { depthMessage, nestsDeeperThan } from "../core/json-depth.js";
import type { DiskThresholds } from "../engine/disk-usage.js";
import type { Keel } from "../engine/keel.js";
import type { NodeSnapshot } from "../engine/node-snapshot.js";
import type { HealthLatency } from "../ops/health/latency.js";
import type { DoctorSettings } from "../ops/doctor/types.js";
import type { TokenRole } from "../store/tokens.js";
import type { LoginLinks } from "./console/login-links.js";

/**
 * One operator operation, declared once: its route (method and path under /v1), the role it needs,
 * the schemas of its params, query and body, and what it does. The HTTP server registers every
 * operation as a route; the CLI calls the same operation over HTTP when a node runs, or in-process
 * on the store when none does, so both check input with the same schemas and print the same JSON.
 */
export interface OperationContext {
  keel: Keel;
  home: string;
  /** who the audit log names: `token:<name>` over HTTP, `cli:<user>` in-process */
  actor: string;
  /** keel.yaml's disk thresholds, for a look at the disk when no node answers */
  diskThresholds?: DiskThresholds;
  /** live figures of the node answering, when a node answers (not in-process on the store) */
  node?: NodeFigures;
  /** the caller's role: over HTTP the token's; in-process the CLI on the machine is admin */
  role?: TokenRole;
  /** the one-time console login codes of the node answering (not in-process) */
  loginLinks?: LoginLinks;
  /** this node's health-check handling times, when a node's API answers */
  healthLatency?: HealthLatency;
  /** keel.yaml's `doctor:` limits (defaults when not given) */
  doctor?: DoctorSettings;
  /** the W3C `traceparent` header of the request, as sent */
  traceparent?: string;
}

/** live figures of the node answering: the engine's snapshot of it */
export type NodeFigures = NodeSnapshot;

export interface OperationInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export interface Operation<P = unknown, Q = unknown, B = unknown, R = unknown> {
  /** a stable name, e.g. `runs.cancel` */
  id: string;
  method: "GET" | "POST" | "DELETE";
  /** fastify-style path: /v1/runs/:id/cancel */
  path: string;
  role: TokenRole;
  summary: string;
  /** the HTTP status of a success (200 unless stated) */
  status?: (result: R) => number;
  params: z.ZodType<P>;
  query: z.ZodType<Q>;
  body: z.ZodType<B>;
  /** the JSON of a success (api/wire/): declared here, checked by test/api/wire-schemas.test.ts */
  response: z.ZodType;
  run(ctx: OperationContext, input: OperationInput<P, Q, B>): Promise<R>;
}

/** An operation with its types erased, for tables of them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOperation = Operation<any, any, any, any>;

export function operation<P, Q, B, R>(def: Operation<P, Q, B, R>): Operation<P, Q, B, R> {
  return def;
}

/** No params, no query, no body: objects with no keys (an unknown key is an error). */
export const none = z.object({}).strict();
/** A body that may be left out entirely. */
export const noBody = z
  .union([z.undefined(), z.null(), z.object({}).strict()])
  .transform(() => ({}));

export type InputPart = "params" | "query" | "body";

export interface InvalidIssue {
  in: InputPart;
  path: string;
  message: string;
}

/** Input that fails an operation's schema: 400 over HTTP, exit 2 in the CLI; nothing is changed. */
class InvalidRequestError extends KeelError {
  constructor(issues: InvalidIssue[]) {
    const first = issues[0];
    super(
      "invalid_input",
      first
        ? `${first.in}${first.path ? `.${first.path}` : ""}: ${first.message}${
            issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : ""
          }`
        : "invalid request",
      { details: { issues } },
    );
  }
}

/** The fields of `value` (or "" for the value itself) nested deeper than the limit. */
function deepFields(value: unknown): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return nestsDeeperThan(value) ? [""] : [];
  return Object.entries(value as object)
    .filter(([, field]) => nestsDeeperThan(field))
    .map(([key]) => key);
}

export function parseInput<P, Q, B>(
  op: Pick<Operation<P, Q, B, unknown>, "params" | "query" | "body">,
  raw: { params?: unknown; query?: unknown; body?: unknown },
): OperationInput<P, Q, B> {
  const issues: InvalidIssue[] = [];
  const part = <T>(where: InputPart, schema: z.ZodType<T>, value: unknown): T => {
    // before the schema, whose checks recurse: a deep value is refused without walking it all
    const deep = deepFields(value);
    if (deep.length > 0) {
      for (const path of deep) issues.push({ in: where, path, message: depthMessage() });
      return undefined as T;
    }
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues)
      issues.push({ in: where, path: issue.path.join("."), message: issue.message });
    return undefined as T;
  };
  const input = {
    params: part("params", op.params, raw.params ?? {}),
    query: part("query", op.query, raw.query ?? {}),
    body: part("body", op.body, raw.body),
  };
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return input;
}
