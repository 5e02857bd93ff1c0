import * as http from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

/** The fault proxy the chaos tests rely on really does what it says. */
let target: http.Server;
let proxy: FaultProxy;
beforeEach(async () => {
  target = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", () => r()));
  proxy = await startFaultProxy((target.address() as { port: number }).port);
});
afterEach(async () => {
  await proxy.close();
  await new Promise((r) => target.close(r));
});

/** One GET on a new connection (no keep-alive pool), as a status line or the error's code. */
function get(timeoutMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(proxy.url("/"), { agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(`${res.statusCode} ${body}`));
      res.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.name));
    });
    req.on("timeout", () => {
      req.destroy();
      resolve("timeout");
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.name));
  });
}

describe("fault proxy", () => {
  it("passes, delays, blackholes, resets and refuses for real, and recovers", async () => {
    expect(await get()).toBe("200 ok");
    await proxy.set("delay", { delayMs: 300 });
    const t = performance.now();
    expect(await get(2000)).toBe("200 ok");
    expect(performance.now() - t).toBeGreaterThanOrEqual(250);
    await proxy.set("blackhole");
    expect(await get(300)).toBe("timeout");
    await proxy.set("reset");
    expect(await get()).toBe("ECONNRESET");
    await proxy.set("refuse");
    expect(await get()).toBe("ECONNREFUSED");
    await proxy.set("pass");
    expect(await get()).toBe("200 ok");
  });

  it("a partial fault hits about its share of connections", async () => {
    await proxy.set("reset", { failRatio: 0.5 });
    const results = [];
    for (let i = 0; i < 60; i++) results.push(await get());
    const ok = results.filter((r) => r === "200 ok").length;
    expect(ok).toBeGreaterThan(10);
    expect(ok).toBeLessThan(50);
  });
});
