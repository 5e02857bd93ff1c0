// network_failure, full and partial: a real HTTP dependency on loopback behind the TCP fault proxy,
// called by a step that uses a breaker with a probe. The proxy blackholes, resets or refuses for
// real; afterwards every run succeeds, nothing is lost or checkpointed twice, the store is whole,
// health showed the fault (the breakers component) and keel recovered by itself.
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keel, pipeline, step, type Keel } from "../../src/index.js";
import { checkHealth } from "../../src/ops/health/index.js";
import { startFaultProxy, type FaultMode, type FaultProxy } from "./fault-proxy.js";

let home: string;
let target: http.Server;
let proxy: FaultProxy;
let k: Keel | undefined;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), "keel-net-"));
  target = http.createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", () => r()));
  proxy = await startFaultProxy((target.address() as { port: number }).port);
});
afterEach(async () => {
  await k?.stop({ force: true });
  k = undefined;
  await proxy.close();
  await new Promise((r) => target.close(r));
  rmSync(home, { recursive: true, force: true });
});

/** One GET through the proxy, failing after `ms` like a client with a timeout would. */
async function call(path: string, signal: AbortSignal, ms = 300): Promise<unknown> {
  // our own timer: on Node 20 AbortSignal.timeout() inside AbortSignal.any() may never fire
  const own = new AbortController();
  const timer = setTimeout(() => own.abort(new Error(`no answer in ${ms} ms`)), ms);
  const onAbort = (): void => own.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const res = await fetch(proxy.url(path), { signal: own.signal });
    if (!res.ok) throw new Error(`dependency answered ${res.status}`);
    return await res.json();
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

function start(): Keel {
  const prep = step("prep", (_ctx, input: { n: number }) => ({ n: input.n }));
  const embed = step("embed", { after: [prep], uses: ["embedding-api"] }, async (ctx, deps) => {
    await call(`/embed/${ctx.runId}`, ctx.signal);
    return { v: deps.prep.n * 2 };
  });
  const save = step("save", { after: [embed] }, (_ctx, deps) => ({ saved: deps.embed.v }));
  k = keel({
    home,
    pipelines: [pipeline("net", [prep, embed, save])],
    logger: pino({ level: "silent" }),
    concurrency: 8,
    pollMs: 50,
    retry: { maxAttempts: 100, baseDelayMs: 5, maxDelayMs: 50 },
    breakers: {
      "embedding-api": {
        failureThreshold: 3,
        probe: async (signal) => void (await call("/health", signal, 200)),
        probeIntervalMs: 50,
      },
    },
  });
  return k;
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

async function breakerHealth(): Promise<string> {
  const report = await checkHealth(home, { components: ["breakers"] });
  return report.components[0]!.status;
}

async function scenario(mode: FaultMode, failRatio: number) {
  const node = start();
  await node.start();
  const runs = await node.submitMany(
    "net",
    Array.from({ length: 30 }, (_, n) => ({ n })),
  );
  await until(
    async () => (await node.list({ status: "succeeded", limit: 100 })).runs.length >= 5,
    10_000,
  );

  await proxy.set(mode, { failRatio });
  const more = await node.submitMany(
    "net",
    Array.from({ length: 30 }, (_, n) => ({ n: 100 + n })),
  );
  let sawFault = false;
  if (failRatio >= 1) {
    // a full outage opens the breaker; health shows it
    sawFault = await until(async () => (await breakerHealth()) !== "healthy", 10_000);
    expect(sawFault).toBe(true);
  }
  await new Promise((r) => setTimeout(r, 1000));
  await proxy.set("pass");
  const cleared = performance.now();

  const all = [...runs, ...more];
  const done = await until(async () => {
    const page = await node.list({ status: "succeeded", limit: 1000 });
    return page.runs.length === all.length;
  }, 10_000);
  const recoveryMs = performance.now() - cleared;
  expect(done).toBe(true);
  expect(recoveryMs).toBeLessThan(5000);
  expect(await until(async () => (await breakerHealth()) === "healthy", 5000)).toBe(true);

  // nothing lost, nothing twice, the store whole
  for (const run of all) {
    const details = await node.inspect(run.id);
    expect(details.run.status).toBe("succeeded");
    expect(details.steps.map((s) => s.step).sort()).toEqual(["embed", "prep", "save"]);
  }
  const integrity = await node.store.checkIntegrity();
  expect(integrity.ok).toBe(true);
  return { recoveryMs, sawFault };
}

describe("network_failure", () => {
  it("full: a blackholed dependency opens the breaker, runs wait, the probe brings them back", async () => {
    await scenario("blackhole", 1);
  }, 60_000);

  it("full: a dependency that resets every connection", async () => {
    await scenario("reset", 1);
  }, 60_000);

  it("full: nothing listening (connection refused)", async () => {
    await scenario("refuse", 1);
  }, 60_000);

  it("partial: half the connections reset; retries and the breaker carry every run through", async () => {
    await scenario("reset", 0.5);
  }, 60_000);
});
