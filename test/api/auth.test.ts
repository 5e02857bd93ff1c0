import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenRoles } from "../../src/store/tokens.js";
import { listenApi } from "../../src/api/listen.js";
import { operations } from "../../src/api/operations/index.js";
import { apiHarness, fill, snapshot, type ApiHarness } from "./helpers.js";

/**
 * Guarantee 6: nobody without a token of the right role changes anything through the API. The
 * routes come from fastify's own route table, so a route added later is checked without anyone
 * remembering to list it here.
 */
let h: ApiHarness;
beforeEach(async () => {
  h = await apiHarness();
});
afterEach(async () => {
  await h.close();
});

describe("route table", () => {
  it("holds every operation, and every route but /health needs a role", () => {
    const table = h.api.routes.filter((r) => r.method !== "HEAD");
    for (const op of operations)
      expect(table).toContainEqual({
        method: op.method,
        url: op.path,
        role: op.role,
        operation: op.id,
      });
    // public: /health, the console's files (they hold no data) and its one-time-code login
    const isPublic = (url: string): boolean =>
      url === "/health" || url === "/" || url.startsWith("/assets/") || url === "/v1/console/login";
    for (const route of h.api.routes)
      if (!isPublic(route.url)) expect(route.role, `${route.method} ${route.url}`).not.toBeNull();
      else expect(route.role, `${route.method} ${route.url}`).toBeNull();
    // reads need viewer, changes operator or admin, tokens and login links admin
    for (const route of table) {
      if (isPublic(route.url)) continue;
      if (
        route.url.startsWith("/v1/tokens") ||
        route.url.startsWith("/v1/join-tokens") ||
        route.url === "/v1/console/links"
      )
        expect(route.role).toBe("admin");
      else if (route.method === "GET") expect(route.role).toBe("viewer");
      else expect(route.role).toBe("operator");
    }
  });
});

describe("every route refuses a missing, bad or too-low token and changes nothing", () => {
  it("401 without a token or with a wrong one, 403 with a lower role, the store untouched", async () => {
    const before = await snapshot(h.keel);
    const guarded = h.api.routes.filter((r) => r.role !== null);
    expect(guarded.length).toBeGreaterThan(20);
    for (const route of guarded) {
      const url = fill(route.url, "run_0000000000000000000000000");
      const method = route.method as "GET" | "POST" | "HEAD" | "DELETE";
      const body =
        method === "POST"
          ? {
              reason: "r",
              note: "n",
              pipeline: "echo",
              input: { n: 1 },
              name: "x",
              role: "admin",
              all: true,
            }
          : undefined;
      const send = (authorization?: string) =>
        h.api.app.inject({
          method,
          url,
          headers: authorization ? { authorization } : {},
          ...(body ? { payload: body } : {}),
        });
      const none = await send();
      expect(none.statusCode, `${method} ${url} without a token`).toBe(401);
      if (method !== "HEAD") expect(none.json().error.code).toBe("unauthorized");
      const wrongSecret = h.tokens.admin.slice(0, -4) + "AAAA";
      expect(
        (await send(`Bearer ${wrongSecret}`)).statusCode,
        `${method} ${url} wrong secret`,
      ).toBe(401);
      expect((await send("Bearer keel_nope")).statusCode).toBe(401);
      expect((await send(`Basic ${h.tokens.admin}`)).statusCode).toBe(401);
      for (const role of tokenRoles.slice(0, tokenRoles.indexOf(route.role!))) {
        const refused = await send(`Bearer ${h.tokens[role]}`);
        expect(refused.statusCode, `${method} ${url} with ${role}`).toBe(403);
        if (method !== "HEAD")
          expect(refused.json().error).toMatchObject({
            code: "forbidden",
            details: { role, needs: route.role },
          });
      }
    }
    expect(await snapshot(h.keel)).toEqual(before);
  });

  it("a revoked token is refused at once", async () => {
    const id = /^keel_([0-9a-f]{12})_/.exec(h.tokens.viewer)![1]!;
    const list = () =>
      h.api.app.inject({
        method: "GET",
        url: "/v1/runs",
        headers: { authorization: `Bearer ${h.tokens.viewer}` },
      });
    expect((await list()).statusCode).toBe(200);
    const revoked = await h.api.app.inject({
      method: "POST",
      url: `/v1/tokens/${id}/revoke`,
      headers: { authorization: `Bearer ${h.tokens.admin}` },
      payload: { reason: "left the team" },
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id, revoked: true, revoked_by: "token:t-admin" });
    expect((await list()).statusCode).toBe(401);
  });

  it("a change with the right role is audited with the token's name and the CLI's user", async () => {
    await h.keel.submit("echo", { n: 1 });
    const run = (await h.keel.list()).runs[0]!;
    const cancelled = await h.api.app.inject({
      method: "POST",
      url: `/v1/runs/${run.id}/cancel`,
      headers: { authorization: `Bearer ${h.tokens.operator}`, "x-keel-actor": "cli:dana" },
      payload: { reason: "duplicate" },
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: run.id, status: "cancelled" });
    const audit = (await h.keel.audit({ action: "run.cancel" })).entries;
    expect(audit).toMatchObject([
      { actor: "token:t-operator/cli:dana", target: run.id, reason: "duplicate" },
    ]);
  });

  it("/health answers without a token", async () => {
    const health = await h.api.app.inject({ method: "GET", url: "/health" });
    expect([200, 503]).toContain(health.statusCode);
    expect(health.json().components.map((c: { component: string }) => c.component)).toEqual([
      "store",
      "node",
      "queue",
      "disk",
      "breakers",
      "workers",
      "scheduler",
      "emergency",
      "alerts",
      "cluster",
    ]);
  });
});

describe("binding", () => {
  it("refuses a non-loopback bind without tokens, and says why", async () => {
    await expect(
      listenApi({ keel: h.keel, home: h.home, host: "0.0.0.0", port: 0, auth: false }),
    ).rejects.toThrow(/non-loopback bind without tokens is refused/);
  });

  it("without tokens on loopback every caller is a local admin", async () => {
    const open = await listenApi({
      keel: h.keel,
      home: h.home,
      host: "127.0.0.1",
      port: 0,
      auth: false,
    });
    try {
      const res = await fetch(`${open.url}/v1/tokens`);
      expect(res.status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it("creates the admin token file once, mode 0600, and the CLI's token works", async () => {
    const { statSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const first = await listenApi({
      keel: h.keel,
      home: h.home,
      host: "127.0.0.1",
      port: 0,
      auth: true,
    });
    const file = join(h.home, "admin.token");
    const token = readFileSync(file, "utf8").trim();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await first.close();
    const second = await listenApi({
      keel: h.keel,
      home: h.home,
      host: "127.0.0.1",
      port: 0,
      auth: true,
    });
    try {
      expect(readFileSync(file, "utf8").trim()).toBe(token);
      const res = await fetch(`${second.url}/v1/tokens`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const names = ((await res.json()) as { tokens: { name: string }[] }).tokens.map(
        (t) => t.name,
      );
      expect(names.filter((n) => n === "admin")).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

describe("docs/api.md", () => {
  it("lists every route of the server with its role", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
    const rows = doc
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    // the console's built files have hashed names: docs/api.md lists them as `/assets/*`
    const listed = h.api.routes.filter((r) => r.method !== "HEAD" && !r.url.startsWith("/assets/"));
    for (const route of listed) {
      const row = rows.find(
        (cells) => cells[1] === route.method && cells[2] === `\`${route.url}\``,
      );
      expect(row, `${route.method} ${route.url} in docs/api.md`).toBeDefined();
      expect(row![3]).toBe(route.role ?? "none");
    }
  });
});
