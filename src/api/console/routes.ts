import type { FastifyInstance, FastifyRequest } from "fastify";
import * as z from "zod";
import { KeelError } from "../../core/errors/keel-error.js";
import type { Keel } from "../../engine/keel.js";
import { createApiToken } from "../../ops/tokens.js";
import { parseInput } from "../operation.js";
import { consoleSecurityHeaders, loadConsoleAssets } from "./assets.js";
import type { LoginLinks } from "./login-links.js";

/**
 * The console: its built files at `/` (public: they hold no data; every figure they show comes
 * from the token-guarded API), and `POST /v1/console/login`, which trades a one-time code for a
 * token of the browser's own.
 */
export const consoleLoginPath = "/v1/console/login";

const loginBody = z.object({ code: z.string().min(1).max(200) }).strict();
export const consoleLoginSchema = z.strictObject({
  token: z.string(),
  id: z.string(),
  name: z.string(),
  role: z.enum(["admin"]),
});

interface RouteConfigOf {
  role: null;
  operation: string | null;
  response?: z.ZodType;
}

export function registerConsole(
  app: FastifyInstance,
  keel: Keel,
  links: LoginLinks,
  /** counts a failed login against the client's failed-authentication budget (429 past it) */
  failed: (request: FastifyRequest, message: string) => Promise<KeelError>,
  refuseIfLimited: (request: FastifyRequest) => Promise<void>,
): void {
  const assets = loadConsoleAssets();
  const page = assets.get("/index.html");
  const config = (operation: string | null, response?: z.ZodType): { config: RouteConfigOf } => ({
    config: { role: null, operation, response },
  });
  app.get("/", config(null), async (_request, reply) => {
    if (!page)
      return reply
        .code(404)
        .type("text/plain; charset=utf-8")
        .send(
          "the console is not built: run `npm run build` in the keel folder (it builds dist/console)\n",
        );
    return reply.headers(consoleSecurityHeaders).type(page.type).send(page.body);
  });
  for (const [path, asset] of assets) {
    if (path === "/index.html") continue;
    app.get(path, config(null), async (_request, reply) =>
      reply
        .headers(consoleSecurityHeaders)
        .header(
          "cache-control",
          asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        )
        .type(asset.type)
        .send(asset.body),
    );
  }

  app.post(
    consoleLoginPath,
    config("console.login", consoleLoginSchema),
    async (request, reply) => {
      await refuseIfLimited(request);
      const { body } = parseInput(
        { params: z.object({}), query: z.object({}), body: loginBody },
        { body: request.body },
      );
      const grant = links.redeem(body.code);
      if (!grant)
        throw await failed(
          request,
          "this login link is unknown, used or expired: get a new one with `keel console`",
        );
      const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
      const issued = await createApiToken(keel.store, {
        name: `console-${stamp}`,
        role: grant.role,
        actor: `console:link/${grant.issuedBy}`,
      });
      return reply.code(201).send({
        token: issued.token,
        id: issued.record.id,
        name: issued.record.name,
        role: grant.role,
      });
    },
  );
}
