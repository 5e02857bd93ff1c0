import { isKeelError } from "../core/errors/keel-error.js";

/**
 * Every error the API returns: `{ "error": { "code", "message", "details" } }`, with a status that
 * says whose fault it is. Input problems are 4xx; only a fault of keel itself is a 5xx.
 */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const statusByCode: Record<string, number> = {
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
};

export function errorBody(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return { error: { code, message, details } };
}

/** fastify's own errors (bad JSON, wrong content type, body too large) as keel's codes */
const fastifyCodes: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "bad_request",
  FST_ERR_CTP_EMPTY_JSON_BODY: "bad_request",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_INVALID_TYPE: "bad_request",
  FST_ERR_BAD_URL: "bad_request",
  FST_ERR_ASYNC_CONSTRAINT: "bad_request",
  FST_ERR_MAX_PARAM_LENGTH: "uri_too_long",
};

/** The status of a code keel answers with (a code the table does not know is 422). */
export function statusOf(code: string): number {
  return statusByCode[code] ?? 422;
}

export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (isKeelError(error)) {
    // an error with a code the table does not know is still the caller's to fix, not a crash
    const status = statusOf(error.code);
    return { status, body: errorBody(error.code, error.message, error.details) };
  }
  const e = error as { code?: string; statusCode?: number; message?: string };
  const mapped = e.code ? fastifyCodes[e.code] : undefined;
  if (mapped)
    return { status: statusByCode[mapped]!, body: errorBody(mapped, e.message ?? mapped) };
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
