import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { DoctorSettings } from "../ops/doctor/types.js";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type * as z from "zod";
import { KeelError } from "../core/errors/keel-error.js";
import type { Keel } from "../engine/keel.js";
import { checkHealth } from "../ops/health/index.js";
import { HealthLatency } from "../ops/health/latency.js";
import { LoginLinks } from "./console/login-links.js";
import { registerConsole } from "./console/routes.js";
import { Authenticator, type Caller } from "./auth.js";
import { streamEvents } from "./events.js";
import { toHttpError } from "./errors.js";
import { clientErrorHandler, frameworkErrors, routeMatcher } from "./framework-errors.js";
import { metricsPath, registerMetrics } from "./metrics.js";
import { redactOutput } from "./redact-output.js";
import { isLoopbackAddress } from "../ops/loopback.js";
import { parseInput, type AnyOperation, type NodeFigures } from "./operation.js";
import { streamTransitions } from "./operations/events.js";
import { operations } from "./operations/index.js";
import { errorBody } from "./wire/errors.js";
import { healthJson, healthSummaryJson, publicHealthSchema } from "./wire/health.js";
import type { TokenRole } from "../store/tokens.js";

/**
 * The HTTP API of a node: every operation under /v1 with token auth, `/health` for load
 * balancers (no token: the status of each component only; 200 while healthy or degraded, 503
 * when unhealthy), and `/v1/events`. The token is checked when the request's headers arrive,
 * before its body is read; every error, fastify's and node's own included, has keel's shape.
 */
export interface ApiOptions {
  keel: Keel;
  home: string;
  /** false turns tokens off: allowed only when bound to loopback */
  auth: boolean;
  /** false: GET /metrics answers without a token (metrics.auth; listenApi allows it on loopback only) */
  metricsAuth?: boolean;
  node?: () => NodeFigures | undefined;
  /** keel.yaml's `doctor:` limits, for GET /v1/doctor */
  doctor?: DoctorSettings;
  /** log each request that changes something: actor, route, status, time (security.audit_logging) */
  accessLog?: boolean;
  /** request bodies larger than this are refused with 413 (bytes) */
  bodyLimit?: number;
  /** paths in answers become `…/<file name>` (security.path_redaction); default true */
  redactPaths?: boolean;
  /** failed authentications a client may make in a window before it gets 429 (default 10 a minute) */
  failedAuth?: { max: number; windowMs: number };
  /** PEM contents: the server speaks HTTPS */
  https?: { cert: Buffer; key: Buffer };
  /** one-time console login codes this node hands out (a fresh set when not given) */
  loginLinks?: LoginLinks;
}

const defaultFailedAuth = { max: 10, windowMs: 60_000 };

export interface RouteInfo {
  method: string;
  url: string;
  /** the role a route needs; null for public routes */
  role: TokenRole | null;
  operation: string | null;
}

/** what a route declares beside its handler */
interface RouteConfig {
  role?: TokenRole | null;
  operation?: string | null;
  response?: z.ZodType;
}

export interface ApiServer {
  app: FastifyInstance;
  /** the route table, as registered */
  routes: RouteInfo[];
  /** the schema of each route's answer (api/wire/), by `METHOD url`; of each event on /v1/events */
  responses: ReadonlyMap<string, z.ZodType>;
}

export async function buildApi(options: ApiOptions): Promise<ApiServer> {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    frameworkErrors,
    clientErrorHandler,
    ...(options.https ? { https: options.https } : {}),
    // one instance type for HTTP and HTTPS: no route depends on which server carries it
  }) as unknown as FastifyInstance;
  const redact = options.redactPaths ?? true;
  // bodies are JSON; any other type is 415, not text handed to an operation's schema
  app.removeContentTypeParser("text/plain");
  await app.register(rateLimit, { global: false });
  const failedAuth = options.failedAuth ?? defaultFailedAuth;
  const auth = new Authenticator(
    options.keel.store,
    options.auth,
    app.createRateLimit({ max: failedAuth.max, timeWindow: failedAuth.windowMs }),
  );
  // the route table as fastify holds it (HEAD routes for GETs included), for docs and the tests
  // that check every route's auth
  const routes: RouteInfo[] = [];
  const responses = new Map<string, z.ZodType>();
  app.addHook("onRoute", (route) => {
    const config = (route.config ?? {}) as RouteConfig;
    const url = route.url ?? route.path;
    for (const method of [route.method].flat()) {
      routes.push({ method, url, role: config.role ?? null, operation: config.operation ?? null });
      if (config.response) responses.set(`${method} ${url}`, config.response);
    }
  });
  const closing = new AbortController();
  const requestsOn = new Map<Socket, number>();
  // over TLS a request's socket is the TLS one, known once the handshake is done
  app.server.on(options.https ? "secureConnection" : "connection", (socket: Socket) => {
    requestsOn.set(socket, 0);
    socket.on("close", () => requestsOn.delete(socket));
  });
  app.server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    requestsOn.set(socket, (requestsOn.get(socket) ?? 0) + 1);
    response.on("close", () => requestsOn.set(socket, (requestsOn.get(socket) ?? 1) - 1));
  });
  app.addHook("preClose", async () => {
    // event streams end; connections with no request in flight (a client's keep-alive, or one
    // opened and never used) are dropped so the close does not wait for them; requests in
    // flight still finish
    closing.abort();
    for (const [socket, inFlight] of requestsOn) if (inFlight === 0) socket.destroy();
  });

  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) options.keel.log.error({ err: error }, "api request failed");
    const retryAfter = body.error.details.retry_after_s;
    if (typeof retryAfter === "number") void reply.header("retry-after", String(retryAfter));
    void reply.code(status).send(body);
  });
  const methodsOf = routeMatcher(routes);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const methods = methodsOf(path);
    if (methods.length > 0)
      return reply
        .code(405)
        .header("allow", methods.join(", "))
        .send(
          errorBody(
            "method_not_allowed",
            `${path} takes ${methods.join(", ")}, not ${request.method}; see docs/api.md`,
            { allow: methods },
          ),
        );
    return reply
      .code(404)
      .send(
        errorBody(
          "not_found",
          `no route ${request.method} ${path}; see docs/api.md for the routes`,
        ),
      );
  });

  // who is asking, from the headers alone: a request that fails here is answered before its
  // body is read, so an unauthenticated client cannot make the node parse a megabyte
  const callers = new WeakMap<FastifyRequest, Caller>();
  const metricsAuth = options.auth && (options.metricsAuth ?? true);
  app.addHook("onRequest", async (request) => {
    // an open /metrics is for this machine's Prometheus, like an API without tokens
    if (!options.auth || (!metricsAuth && request.routeOptions.url === metricsPath))
      refuseForeignHost(request);
    const role = (request.routeOptions.config as { role?: TokenRole | null } | undefined)?.role;
    if (role) callers.set(request, await auth.authorize(request, role));
  });
  // the admin (the CLI on the machine, with admin.token) may read the machine's files anyway and
  // needs the paths of a restore command whole; every other reader gets them redacted
  const redactFor = (request: FastifyRequest): boolean =>
    redact && callers.get(request)?.role !== "admin";
  app.addHook("preSerialization", async (request, _reply, payload) =>
    redactFor(request) ? redactOutput(payload) : payload,
  );
  const callerOf = (request: FastifyRequest): Caller => {
    const caller = callers.get(request);
    // every route with a role went through the hook; a route without one never gets here
    if (!caller) throw new Error(`no caller for ${request.method} ${request.url}`);
    return caller;
  };

  // the node times its own health checks, from the request's arrival to the answer sent
  const healthLatency = new HealthLatency();
  app.addHook("onResponse", async (request, reply) => {
    const url = request.routeOptions.url;
    if (url === "/health" || url === "/v1/health") healthLatency.record(reply.elapsedTime);
  });

  const loginLinks = options.loginLinks ?? new LoginLinks();
  const context = (request: FastifyRequest, caller: Caller) => ({
    keel: options.keel,
    home: options.home,
    actor: caller.actor,
    role: caller.role,
    node: options.node?.(),
    loginLinks,
    healthLatency,
    doctor: options.doctor,
    // one header, or several joined by fastify: either way a submit checks it and names it
    ...(request.headers.traceparent === undefined
      ? {}
      : { traceparent: String(request.headers.traceparent) }),
  });

  if (options.accessLog)
    app.addHook("onResponse", async (request, reply) => {
      if (request.method === "GET" || request.method === "HEAD") return;
      options.keel.log.info(
        {
          actor: callers.get(request)?.actor ?? null,
          method: request.method,
          route: request.routeOptions.url ?? null,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        "api change request",
      );
    });

  const register = (op: AnyOperation): void => {
    app.route({
      method: op.method,
      url: op.path,
      config: { role: op.role, operation: op.id, response: op.response },
      handler: async (request, reply) => {
        const caller = callerOf(request);
        const input = parseInput(op, {
          params: request.params,
          query: request.query,
          body: request.body,
        });
        const result: unknown = await op.run(context(request, caller), input);
        return reply.code(op.status?.(result) ?? 200).send(result);
      },
    });
  };
  for (const op of operations) register(op);

  const events = streamTransitions;
  app.get(
    events.path,
    { config: { role: events.role, operation: events.id, response: events.response } },
    async (request, reply) => {
      // a bad query is refused like any operation's, by the error handler, before the stream opens
      const { query } = parseInput(events, { query: request.query });
      await streamEvents(options.keel, request, reply, query, closing.signal, redactFor(request));
      return reply;
    },
  );

  registerMetrics(app, options.keel, metricsAuth, healthLatency);
  registerConsole(
    app,
    options.keel,
    loginLinks,
    (request, message) => auth.failed(request, message),
    (request) => auth.refuseIfLimited(request),
  );

  const health = { role: null, operation: null, response: publicHealthSchema };
  app.get("/health", { config: health }, async (request, reply) => {
    const verbose = (request.query as Record<string, unknown>).verbose === "true";
    // a load balancer needs the status; reasons and figures (paths, pids) need a token
    const full = !options.auth || request.headers.authorization !== undefined || verbose;
    if (full) callers.set(request, await auth.authorize(request, "viewer"));
    const report = await checkHealth(options.home, { live: options.node?.() });
    return reply
      .code(report.status === "unhealthy" ? 503 : 200)
      .send(
        full ? healthJson(report, verbose, healthLatency.summary()) : healthSummaryJson(report),
      );
  });

  await app.ready();
  return { app, routes, responses };
}

/**
 * Without tokens the API trusts whoever reaches the loopback address; a request that names
 * another host (a web page whose name was rebound to 127.0.0.1) is not from this machine's tools.
 */
function refuseForeignHost(request: FastifyRequest): void {
  const host = request.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || isLoopbackAddress(host)) return;
  throw new KeelError(
    "forbidden",
    `Host ${request.hostname} is not a loopback name; with server.auth off the API answers only requests to localhost or 127.0.0.1`,
  );
}
