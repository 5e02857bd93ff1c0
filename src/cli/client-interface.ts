import type { Operation } from "../api/operation.js";
import type { Unanswered } from "./api-timeout.js";

/**
 * How a command reaches keel: over the HTTP API of the node running for this home (with the token
 * from --token, KEEL_TOKEN or $KEEL_HOME/admin.token), or, when no node runs, in-process on the
 * store. Either way the same operation runs with the same input checks and returns the same JSON.
 */
export interface RawInput {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  /** the W3C traceparent of the call: a header over HTTP, the context in-process */
  traceparent?: string;
}

/** The API of the node running for a home, and the token the CLI presents to it. */
export interface ApiEndpoint {
  url: string;
  token: string | null;
  /** the node's pid, from the pidfile */
  pid: number;
  /** how long a call waits for the node's answer (--api-timeout, cli.api_timeout_ms) */
  timeoutMs: number;
}

export interface Client {
  /** "api" when a node answers over HTTP, "store" when the command works on the store itself */
  readonly via: "api" | "store";
  /** the node's API when `via` is "api" (for its event stream), else null */
  readonly api: ApiEndpoint | null;
  /** set once the node did not answer in time and read-only calls went to the store instead */
  readonly unanswered: Unanswered | null;
  call<P, Q, B, R>(op: Operation<P, Q, B, R>, input?: RawInput): Promise<R>;
  close(): Promise<void>;
}
