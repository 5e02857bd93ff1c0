import { isKeelError } from "./keel-error.js";

/**
 * The error taxonomy: decides whether a failed attempt is worth retrying, and names its class.
 * A KeelError says so itself; otherwise well-known codes of Node and of common libraries are
 * mapped, and anything unknown is treated as transient (a retry is cheaper than a lost run).
 */
export interface ErrorClass {
  retryable: boolean;
  code: string;
}

const permanentCodes: Record<string, string> = {
  EACCES: "permission_denied",
  EPERM: "permission_denied",
  EISDIR: "invalid_path",
  ENOTDIR: "invalid_path",
  ERR_INVALID_ARG_TYPE: "validation",
  ERR_INVALID_ARG_VALUE: "validation",
  ERR_INVALID_URL: "validation",
};

const transientCodes = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOSPC",
  "EBUSY",
  "EMFILE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

export function classifyError(error: Error): ErrorClass {
  if (isKeelError(error)) return { retryable: error.retryable, code: error.code };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    const permanent = permanentCodes[code];
    if (permanent) return { retryable: false, code: permanent };
    if (transientCodes.has(code)) return { retryable: true, code: code.toLowerCase() };
  }
  if (error instanceof SyntaxError) return { retryable: false, code: "parse_error" };
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError
  ) {
    // Programming errors do not heal by themselves, but a deploy can fix them: retry with backoff
    // so a fixed worker picks the run up, and let max_attempts end it.
    return { retryable: true, code: "program_error" };
  }
  return { retryable: true, code: "error" };
}
