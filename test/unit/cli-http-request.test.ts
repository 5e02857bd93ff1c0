import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { requestText } from "../../src/cli/http-request.js";
import { isTimeout } from "../../src/cli/api-timeout.js";

/** the CLI's request to a node's API, against a real HTTP server on a free port */
let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<URL> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}

describe("requestText", () => {
  it("sends the method, headers and body, and gives the whole answer with its status", async () => {
    const base = await listen((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        res.statusCode = 409;
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body }));
      });
    });
    const answer = await requestText(new URL("/v1/runs?x=1", base), {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify({ name: "é" }),
      timeoutMs: 5_000,
    });
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.text)).toEqual({
      method: "POST",
      auth: "Bearer t",
      body: '{"name":"é"}',
    });
  });

  it("names a refused connection ECONNREFUSED, which proves nothing was sent", async () => {
    const base = await listen((_req, res) => res.end());
    const port = (server?.address() as AddressInfo).port;
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    const error = await requestText(new URL(`http://127.0.0.1:${port}/v1/status`), {
      method: "GET",
      headers: {},
      timeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(base.port).toBe(String(port));
    expect((error as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("gives up after timeoutMs with a TimeoutError when the node does not answer", async () => {
    const base = await listen(() => {
      // never answers: a frozen node
    });
    const started = Date.now();
    const error = await requestText(new URL("/v1/status", base), {
      method: "GET",
      headers: {},
      timeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(isTimeout(error)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });
});
