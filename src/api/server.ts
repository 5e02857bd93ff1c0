import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { z } from "zod";
import type { Keel } from "../engine/keel.js";
import { checkHealth } from "../ops/health/index.js";
import { Authenticator } from "./auth.js";
import { streamEvents } from "./events.js";
import { errorBody, toHttpError } from "./errors.js";
import { parseInput, type AnyOperation, type NodeFigures } from "./operation.js";
import { operations } from "./operations/index.js";
import { runId } from "./schemas.js";
import { healthJson } from "./wire.js";
import type { TokenRole } from "../store/tokens.js";

/**
 * The HTTP API of a node: every operation under /v1 with token auth, `/health` for load
 * balancers (no token; 200 while healthy or degraded, 503 when unhealthy), and `/v1/events`.
 */
export interface ApiOptions {
  keel: Keel;
  home: string;
  /** false turns tokens off: allowed only when bound to loopback */
  auth: boolean;
  node?: () => NodeFigures;
  /** log each request that changes something: actor, route, status, time (security.audit_logging) */
  accessLog?: boolean;
  /** request bodies larger than this are refused with 413 (bytes) */
  bodyLimit?: number;
}

export interface RouteInfo {
  method: string;
  url: string;
  /** the role a route needs; null for public routes */
  role: TokenRole | null;
  operation: string | null;
}

export interface ApiServer {
  app: FastifyInstance;
  /** the route table, as registered */
  routes: RouteInfo[];
}

const eventsQuery = z
  .object({
    run: runId.optional(),
    after: z.coerce.number().int().min(0).optional(),
  })
  .strict();

export async function buildApi(options: ApiOptions): Promise<ApiServer> {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 1_048_576 });
  const auth = new Authenticator(options.keel.store, options.auth);
  // the route table as fastify holds it (HEAD routes for GETs included), for docs and the tests
  // that check every route's auth
  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (route) => {
    const config = (route.config ?? {}) as { role?: TokenRole | null; operation?: string | null };
    for (const method of [route.method].flat())
      routes.push({
        method,
        url: route.url ?? route.path,
        role: config.role ?? null,
        operation: config.operation ?? null,
      });
  });
  const closing = new AbortController();
  const requestsOn = new Map<Socket, number>();
  app.server.on("connection", (socket: Socket) => {
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
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send(
        errorBody(
          "not_found",
          `no route ${request.method} ${request.url.split("?")[0]}; see docs/api.md for the routes`,
        ),
      );
  });

  const context = (request: FastifyRequest, actor: string) => ({
    keel: options.keel,
    home: options.home,
    actor,
    node: options.node?.(),
  });

  const actors = new WeakMap<FastifyRequest, string>();
  if (options.accessLog)
    app.addHook("onResponse", async (request, reply) => {
      if (request.method === "GET" || request.method === "HEAD") return;
      options.keel.log.info(
        {
          actor: actors.get(request) ?? null,
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
      config: { role: op.role, operation: op.id },
      handler: async (request, reply) => {
        const caller = await auth.authorize(request, op.role);
        actors.set(request, caller.actor);
        const input = parseInput(op, {
          params: request.params,
          query: request.query,
          body: request.body,
        });
        const result: unknown = await op.run(context(request, caller.actor), input);
        return reply.code(op.status?.(result) ?? 200).send(result);
      },
    });
  };
  for (const op of operations) register(op);

  app.get(
    "/v1/events",
    { config: { role: "viewer", operation: "events.stream" } },
    async (request, reply) => {
      await auth.authorize(request, "viewer");
      const query = eventsQuery.safeParse(request.query);
      if (!query.success) {
        const issues = query.error.issues.map((i) => ({
          in: "query",
          path: i.path.join("."),
          message: i.message,
        }));
        return reply
          .code(400)
          .send(errorBody("invalid_input", `query: ${issues[0]!.message}`, { issues }));
      }
      await streamEvents(options.keel, request, reply, query.data, closing.signal);
      return reply;
    },
  );

  app.get("/health", { config: { role: null, operation: null } }, async (request, reply) => {
    const verbose = (request.query as Record<string, unknown>).verbose === "true";
    const report = await checkHealth(options.home, { live: options.node?.() });
    return reply.code(report.status === "unhealthy" ? 503 : 200).send(healthJson(report, verbose));
  });

  await app.ready();
  return { app, routes };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
