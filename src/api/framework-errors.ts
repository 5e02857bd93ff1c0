import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { toHttpError } from "./errors.js";
import { errorBody } from "./wire/errors.js";

/**
 * The errors fastify and node's HTTP parser answer by themselves, in keel's shape: a URL the
 * router cannot decode (bad percent-encoding, a parameter too long), and a request node refuses
 * before fastify sees it (headers too large, a malformed request line, a slow client).
 */
export function frameworkErrors(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { status, body } = toHttpError(error);
  void reply.code(status).send(body);
}

export function clientErrorHandler(error: Error & { code?: string }, socket: Duplex): void {
  // a reset connection has no one to answer
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [
          431,
          "headers_too_large",
          "the request's headers are larger than 16 KiB; send fewer or smaller headers",
        ]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", "the request was not received in time; send it again"]
        : [400, "bad_request", "the request is not valid HTTP/1.1"];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(error);
}

/** The methods a path takes, for a 405 with Allow (none: a 404). Built once the routes are in. */
export function routeMatcher(routes: readonly { method: string; url: string }[]) {
  const patterns = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  const build = (): void => {
    for (const route of routes) {
      const entry = patterns.get(route.url) ?? {
        pattern: new RegExp(`^${route.url.replace(/:[a-z_]+/g, "[^/]+")}/?$`),
        methods: new Set<string>(),
      };
      entry.methods.add(route.method);
      patterns.set(route.url, entry);
    }
  };
  return (path: string): string[] => {
    if (patterns.size === 0) build();
    const methods = new Set<string>();
    for (const entry of patterns.values())
      if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
    return [...methods].sort();
  };
}
