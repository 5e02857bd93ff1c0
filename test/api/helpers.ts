// Shared helpers for the HTTP API tests: a keel on a temp home with a small pipeline, the API
// built on it (fastify's inject for in-process requests, or listening on a free loopback port),
// a token of each role, and a snapshot of everything a request could change.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { keel, pipeline, step, type Keel } from "../../src/index.js";
import { buildApi, type ApiServer } from "../../src/api/server.js";
import { createApiToken } from "../../src/ops/tokens.js";
import type { TokenRole } from "../../src/store/tokens.js";

export const echo = pipeline("echo", [
  step("double", async (_ctx, input: { n: number }) => ({ n: input.n * 2 })),
]);

export interface ApiHarness {
  home: string;
  keel: Keel;
  api: ApiServer;
  tokens: Record<TokenRole, string>;
  close(): Promise<void>;
}

export async function apiHarness(
  options: { auth?: boolean; start?: boolean } = {},
): Promise<ApiHarness> {
  const home = mkdtempSync(join(tmpdir(), "keel-api-"));
  const k = keel({
    home,
    pipelines: [echo],
    sources: [{ name: "nightly", pipeline: "echo", input: { n: 1 } }],
    logger: pino({ level: "silent" }),
    pollMs: 50,
  });
  if (options.start) await k.start();
  else
    await k.store.upsertSources(
      [
        {
          name: "nightly",
          kind: "manual",
          pipeline: "echo",
          schedule: null,
          input: { n: 1 },
          timezone: null,
        },
      ],
      Date.now(),
    );
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ["viewer", "operator", "admin"] as const)
    tokens[role] = (
      await createApiToken(k.store, { name: `t-${role}`, role, actor: "test" })
    ).token;
  // the route-by-route auth checks send hundreds of bad tokens from one client: the limit on
  // failed authentications has its own test (transport.test.ts)
  const api = await buildApi({
    keel: k,
    home,
    auth: options.auth ?? true,
    failedAuth: { max: 1_000_000, windowMs: 60_000 },
  });
  return {
    home,
    keel: k,
    api,
    tokens,
    async close() {
      await api.app.close();
      await k.stop({ force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Everything a request could change, to compare before and after a refused one. */
export async function snapshot(k: Keel): Promise<unknown> {
  const store = k.store;
  return {
    runs: await store.countRunsByStatus(),
    lastTransition: await store.lastTransitionId(),
    audit: (await store.listAudit({ limit: 1000 })).entries.length,
    tokens: (await store.listTokens()).map((t) => [t.id, t.revokedAt]),
    sources: (await store.listSources()).map((s) => [s.name, s.paused, s.pauseReason]),
    emergency: await store.getSetting("emergency_stop"),
  };
}

/** A concrete URL for a route pattern: each `:param` filled in. */
export function fill(url: string, value = "x"): string {
  return url.replace(/:([a-z_]+)/g, () => value);
}
