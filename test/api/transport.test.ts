import { mkdtempSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { keel, type Keel } from "../../src/index.js";
import { listenApi, type RunningApi } from "../../src/api/listen.js";
import { buildApi } from "../../src/api/server.js";
import { apiHarness, echo, type ApiHarness } from "./helpers.js";
import { selfSignedCert } from "./self-signed.js";

/**
 * Item 13: TLS, the refusal of plain HTTP on a network bind, failed-auth rate limiting per
 * client, and authentication before the body is read. Real sockets throughout.
 */
let dir: string;
let cert: string;
let key: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keel-tls-"));
  ({ cert, key } = selfSignedCert(dir));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let h: ApiHarness;
beforeEach(async () => {
  h = await apiHarness();
});
afterEach(async () => {
  await h.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function httpsGet(url: string, ca: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("TLS", () => {
  it("serves HTTPS with the configured certificate and key; plain HTTP gets no answer", async () => {
    const { readFileSync } = await import("node:fs");
    const api = await listenApi({
      keel: h.keel,
      home: h.home,
      host: "127.0.0.1",
      port: 0,
      auth: true,
      tls: { cert, key },
    });
    try {
      expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(JSON.parse(readFileSync(join(h.home, "api.json"), "utf8")).url).toBe(api.url);
      const pem = readFileSync(cert, "utf8");
      const health = await httpsGet(`${api.url}/health`, pem);
      expect([200, 503]).toContain(health.status);
      const runs = await httpsGet(`${api.url}/v1/runs`, pem, {
        authorization: `Bearer ${h.tokens.viewer}`,
      });
      expect(runs.status).toBe(200);
      await expect(fetch(api.url.replace("https:", "http:") + "/health")).rejects.toThrow();
    } finally {
      await api.close();
    }
  });

  it("a missing certificate file is refused at start, naming the key and the file", async () => {
    await expect(
      listenApi({
        keel: h.keel,
        home: h.home,
        host: "127.0.0.1",
        port: 0,
        auth: true,
        tls: { cert: join(dir, "nope.pem"), key },
      }),
    ).rejects.toThrow(/server\.tls\.cert: cannot read .*nope\.pem/);
  });
});

describe("plain HTTP on a network bind", () => {
  it("is refused without TLS: nothing listens on the port", async () => {
    const port = await freePort();
    await expect(
      listenApi({ keel: h.keel, home: h.home, host: "0.0.0.0", port, auth: true }),
    ).rejects.toThrow(/0\.0\.0\.0 is not a loopback address.*server\.tls\.cert.*allow_plain_http/);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.on("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("is served when allowed explicitly, with a warning in the log", async () => {
    let logged = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const k: Keel = keel({
      home: mkdtempSync(join(tmpdir(), "keel-plain-")),
      pipelines: [echo],
      logger: pino({ level: "info" }, sink),
    });
    const api = await listenApi({
      keel: k,
      home: h.home,
      host: "0.0.0.0",
      port: 0,
      auth: true,
      allowPlainHttp: true,
    });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${api.url}/health`)).status).toBeLessThan(600);
      expect(logged).toMatch(/"level":40.*plain HTTP on 0\.0\.0\.0/);
    } finally {
      await api.close();
      await k.stop({ force: true });
    }
  });
});

describe("failed authentication", () => {
  let api: RunningApi;
  afterEach(async () => {
    await api.close();
  });
  const listen = async (failedAuth?: { max: number; windowMs: number }) =>
    (api = await listenApi({
      keel: h.keel,
      home: h.home,
      host: "127.0.0.1",
      port: 0,
      auth: true,
      failedAuth,
    }));

  it("is limited per client: 429 with Retry-After after N bad tokens, even for a good one", async () => {
    await listen({ max: 5, windowMs: 60_000 });
    const get = (token: string) =>
      fetch(`${api.url}/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 5; i++) expect((await get("keel_bad")).status).toBe(401);
    const limited = await get("keel_bad");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await limited.json()) as { error: { code: string; details: unknown } };
    expect(body.error).toMatchObject({
      code: "too_many_requests",
      details: { retry_after_s: expect.any(Number) },
    });
    expect((await get(h.tokens.admin)).status).toBe(429);
    // a good token does not count: another client is not held
  });

  it("good tokens do not count against a client", async () => {
    await listen({ max: 2, windowMs: 60_000 });
    for (let i = 0; i < 10; i++)
      expect(
        (
          await fetch(`${api.url}/v1/runs`, {
            headers: { authorization: `Bearer ${h.tokens.viewer}` },
          })
        ).status,
      ).toBe(200);
  });

  it("is decided before the body is read: a bad body without a token is 401", async () => {
    await listen();
    const post = (body: string, type: string) =>
      fetch(`${api.url}/v1/runs`, { method: "POST", headers: { "content-type": type }, body });
    for (const [body, type] of [
      ["{nope", "application/json"],
      ["hello", "text/plain"],
      [JSON.stringify({ x: "y".repeat(1_100_000) }), "application/json"],
    ] as const) {
      const res = await post(body, type);
      expect(res.status, `${type} ${body.slice(0, 10)}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
  });

  it("the in-process API refuses a bad body without a token too (inject)", async () => {
    await listen();
    const built = await buildApi({ keel: h.keel, home: h.home, auth: true });
    try {
      const res = await built.app.inject({
        method: "POST",
        url: "/v1/runs",
        headers: { "content-type": "application/json" },
        payload: "{nope",
      });
      expect(res.statusCode).toBe(401);
    } finally {
      await built.app.close();
    }
  });
});
