import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenApi, type RunningApi } from "../../src/api/listen.js";
import { apiHarness, type ApiHarness } from "./helpers.js";

/**
 * Item 14: every error on every route answers keel's `{error:{code,message,details}}`, including
 * those fastify and node's HTTP parser answer by themselves. A real socket, since inject() skips
 * the parser (431, a malformed request line).
 */
let h: ApiHarness;
let api: RunningApi;
beforeAll(async () => {
  h = await apiHarness();
  api = await listenApi({ keel: h.keel, home: h.home, host: "127.0.0.1", port: 0, auth: true });
});
afterAll(async () => {
  await api.close();
  await h.close();
});

function expectKeelError(json: unknown, code: string): void {
  expect(json).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Object) },
  });
  expect((json as { error: { message: string } }).error.message.length).toBeGreaterThan(10);
}

/** Writes raw bytes and reads the answer until the server closes or ends a response. */
function raw(bytes: string): Promise<{ status: number; headers: string; body: string }> {
  const { port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      if (!status) reject(new Error(`no HTTP answer: ${JSON.stringify(data)}`));
      else resolve({ status, headers: head, body });
    });
    socket.write(bytes);
    setTimeout(() => socket.end(), 500);
  });
}

const admin = () => ({ authorization: `Bearer ${h.tokens.admin}` });

describe("keel's error shape on every error", () => {
  it("a bad percent-encoding in the path is 400 bad_request", async () => {
    const res = await fetch(`${api.url}/v1/runs/%E0%A4%A`, { headers: admin() });
    expect(res.status).toBe(400);
    expectKeelError(await res.json(), "bad_request");
  });

  it("an unknown route is 404, a known path with another method 405 with Allow", async () => {
    const missing = await fetch(`${api.url}/v1/nothing-here`, { headers: admin() });
    expect(missing.status).toBe(404);
    expectKeelError(await missing.json(), "not_found");
    // the route is quoted as asked, not cut by path redaction
    expect(
      (
        (await fetch(`${api.url}/v1/a/b/c`, { headers: admin() }).then((r) => r.json())) as {
          error: { message: string };
        }
      ).error.message,
    ).toMatch(/no route GET \/v1\/a\/b\/c;/);
    const wrong = await fetch(`${api.url}/v1/runs`, { method: "DELETE", headers: admin() });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD, POST");
    const wrongBody = (await wrong.json()) as { error: { message: string } };
    expectKeelError(wrongBody, "method_not_allowed");
    expect(wrongBody.error.message).toMatch(/^\/v1\/runs takes GET, HEAD, POST, not DELETE/);
    const param = await fetch(`${api.url}/v1/runs/run_x/cancel`, { headers: admin() });
    expect(param.status).toBe(405);
    expect(param.headers.get("allow")).toBe("POST");
  });

  it("headers too large are 431 in keel's shape, over a real socket", async () => {
    const res = await raw(
      `GET /v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(res.status).toBe(431);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    expectKeelError(JSON.parse(res.body), "headers_too_large");
  });

  it("a malformed request is 400 in keel's shape", async () => {
    const res = await raw("NOT HTTP AT ALL\r\n\r\n");
    expect(res.status).toBe(400);
    expectKeelError(JSON.parse(res.body), "bad_request");
  });

  it("bad JSON, a wrong content type and a body too large, with a token", async () => {
    const post = (body: string, type: string) =>
      fetch(`${api.url}/v1/runs`, {
        method: "POST",
        headers: { ...admin(), "content-type": type },
        body,
      });
    const badJson = await post("{nope", "application/json");
    expect(badJson.status).toBe(400);
    expectKeelError(await badJson.json(), "bad_request");
    const text = await post("hello", "text/plain");
    expect(text.status).toBe(415);
    expectKeelError(await text.json(), "unsupported_media_type");
    const big = await post(JSON.stringify({ x: "y".repeat(1_100_000) }), "application/json");
    expect(big.status).toBe(413);
    expectKeelError(await big.json(), "payload_too_large");
  });

  it("a path parameter longer than the router takes is 414 in keel's shape", async () => {
    const res = await fetch(`${api.url}/v1/runs/${"r".repeat(600)}`, { headers: admin() });
    expect(res.status).toBe(414);
    expectKeelError(await res.json(), "uri_too_long");
  });
});
