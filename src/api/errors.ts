import type { KeelErrorCode } from "../core/errors/codes.js";
import { isKeelError } from "../core/errors/keel-error.js";
import { errorBody, type ErrorBody } from "./wire/errors.js";

export type { ErrorBody };

/**
 * Errors as HTTP answers, with a status that says whose fault it is. Input problems are 4xx;
 * only a fault of keel itself is a 5xx. The body's shape is wire/errors.ts.
 *
 * The status of every code keel gives an error; the compiler makes a new code pick one here.
 * 422: the request was understood but cannot be done now or as asked.
 */
const statusByCode: Record<KeelErrorCode, number> = {
  invalid_input: 400,
  invalid_pipeline: 400,
  unknown_pipeline: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  illegal_transition: 409,
  not_quarantined: 409,
  // a running node's memory is needed (a console login link): start one first
  node_not_running: 409,
  golden_exists: 409,
  gate_not_open: 409,
  shadow_active: 409,
  replay_unavailable: 422,
  request_timeout: 408,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  too_many_requests: 429,
  headers_too_large: 431,
  store_full: 503,
  // the store file is damaged: nothing is written (or acknowledged) until it is whole again
  store_corrupt: 503,
  internal: 500,
  invalid_config: 422,
  wait_timeout: 422,
  // no receiver in keel.yaml takes the alert a test would send
  no_alert_receiver: 422,
  permanent: 422,
  transient: 422,
  bad_output: 422,
  timeout: 422,
  cancelled: 422,
  lease_lost: 422,
  breaker_open: 422,
  worker_crashed: 422,
  worker_start_failed: 422,
  non_error_thrown: 422,
  already_started: 422,
  node_stopping: 422,
  node_running: 422,
  port_in_use: 422,
  api_error: 422,
  api_unreachable: 422,
  node_unresponsive: 422,
  join_refused: 403,
  node_online: 409,
  store_error: 422,
  store_missing: 422,
  store_not_empty: 409,
  copy_mismatch: 500,
  tool_missing: 501,
  store_busy: 422,
  store_too_new: 422,
  store_unavailable: 422,
  unsupported_store: 422,
  migration_changed: 422,
  migrations_invalid: 422,
  migrations_missing: 422,
  backup_invalid: 422,
};

/** a step's own code (a PermanentError's `parse_error`), relayed: the caller's to look at */
const stepCodeStatus = 422;

/** fastify's own errors (bad JSON, wrong content type, body too large) as keel's codes */
const fastifyCodes: Record<string, KeelErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_TYPE: "bad_request",
  FST_ERR_BAD_URL: "bad_request",
  FST_ERR_ASYNC_CONSTRAINT: "bad_request",
  FST_ERR_MAX_PARAM_LENGTH: "uri_too_long",
};

/** The status of a code keel answers with; a step's own code (not keel's) is 422. */
export function statusOf(code: string): number {
  return Object.hasOwn(statusByCode, code) ? statusByCode[code as KeelErrorCode] : stepCodeStatus;
}

export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (isKeelError(error)) {
    const status = statusOf(error.code);
    return { status, body: errorBody(error.code, error.message, error.details) };
  }
  const e = error as { code?: string; statusCode?: number; message?: string };
  const mapped = e.code ? fastifyCodes[e.code] : undefined;
  if (mapped) return { status: statusByCode[mapped], body: errorBody(mapped, e.message ?? mapped) };
  const status = e.statusCode ?? (error instanceof SyntaxError ? 400 : 500);
  if (status >= 400 && status < 500)
    return {
      status,
      body: errorBody("bad_request", e.message ?? "bad request"),
    };
  return {
    status: 500,
    body: errorBody("internal", "keel failed to answer; the node's log has the cause"),
  };
}
