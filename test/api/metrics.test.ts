import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildApi, type ApiServer } from "../../src/api/server.js";
import { listenApi } from "../../src/api/listen.js";
import { approvalGate, keel, pipeline, step, PermanentError, type Keel } from "../../src/index.js";
import { loadConfig } from "../../src/ops/config.js";
import { createMetrics } from "../../src/ops/metrics/registry.js";
import { createApiToken } from "../../src/ops/tokens.js";

// GET /metrics scraped from a node that ran one run to success and quarantined another: the
// values Prometheus would read, the text parsed line by line, and who may scrape.

const ingest = pipeline("ingest", [
  step("read", async (ctx) => {
    ctx.progress(1000);
    ctx.progress(500);
    return { ok: true };
  }),
]);
// fails once (a transient error), which opens its breaker; the trial after 50 ms closes it
let flakyCalls = 0;
const flaky = pipeline("flaky", [
  step("call", { uses: ["ext"] }, async () => {
    if (++flakyCalls === 1) throw new Error("connect ECONNREFUSED 127.0.0.1:9");
    return { ok: true };
  }),
]);
// waits for the test to let it go: a run in flight
let release: () => void = () => {};
const slow = pipeline("slow", [
  step("hold", async () => {
    await new Promise<void>((resolve) => (release = resolve));
    return { ok: true };
  }),
]);
const failing = pipeline("failing", [
  step("load", async () => {
    throw new PermanentError("no such file", "parse_error");
  }),
]);

// waits for a person at gate "ok": one run approved (a wait observed), one left waiting
const signoff = pipeline("signoff", [approvalGate("ok")]);

let home: string;
let k: Keel;
let api: ApiServer;
let viewer: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "keel-metrics-"));
  k = keel({
    home,
    pipelines: [ingest, failing, flaky, slow, signoff],
    logger: pino({ level: "silent" }),
    pollMs: 50,
    breakers: { ext: { failureThreshold: 1, recoveryTimeoutMs: 50, halfOpenRequests: 1 }, ops: {} },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  await k.start();
  viewer = (await createApiToken(k.store, { name: "prom", role: "viewer", actor: "test" })).token;
  api = await buildApi({ keel: k, home, auth: true });
  for (const name of ["ingest", "failing", "flaky"] as const) {
    const run = await k.submit(name, {} as never);
    await k.wait(run.id, { timeoutMs: 10_000 });
  }
  const approved = await k.submit(signoff, {} as never);
  await k.submit(signoff, {} as never);
  for (let i = 0; (await k.gates.list()).length < 2; i++) {
    if (i > 500) throw new Error("the signoff runs never reached their gate");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await k.gates.approve(approved.id, "ok", { note: "fine", actor: "test" });
  await k.wait(approved.id, { timeoutMs: 10_000 });
  // due an hour from now: in the queue, not yet waiting
  await k.submit("ingest", {} as never, { at: "1h" });
  await k.breakers.trip("ops", { reason: "drill", actor: "test" });
  await k.emergencyOn({ reason: "drill", actor: "test" });
});

afterAll(async () => {
  await api.app.close();
  await k.stop({ force: true });
  rmSync(home, { recursive: true, force: true });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: string;
}

/** The Prometheus text format, strictly: comments are HELP, TYPE (or EOF); every other line a sample. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line === "# EOF") continue;
    const type =
      /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped|info)$/.exec(
        line,
      );
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# (HELP|UNIT) [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    // OpenMetrics: a sample may end with an exemplar, ` # {labels} value timestamp`
    const [sample, exemplar] = line.split(" # {") as [string, string | undefined];
    if (exemplar !== undefined)
      expect(exemplar, `bad exemplar: ${line}`).toMatch(/^[a-z_]+="[^"]*"\} [0-9.e+-]+ [0-9.]+$/);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(
      sample,
    );
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    const body = m![2] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let matched = 0;
    for (const p of body.matchAll(pair)) {
      labels[p[1]!] = p[2]!;
      matched += p[0].length;
    }
    expect(matched, `bad labels: ${line}`).toBe(body.length);
    samples.push({ name: m![1]!, labels, value: Number(m![3]), exemplar });
  }
  return { samples, types };
}

async function scrape(accept?: string) {
  const res = await api.app.inject({
    method: "GET",
    url: "/metrics",
    headers: { authorization: `Bearer ${viewer}`, ...(accept ? { accept } : {}) },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { res, ...parse(res.body) };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]!.value;
}

describe("GET /metrics", () => {
  it("counts the runs, steps, bytes and store figures of a real node", async () => {
    const { res, samples, types } = await scrape();
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(samples, "keel_runs_submitted_total", { pipeline: "ingest" })).toBe(2);
    expect(value(samples, "keel_runs_submitted_total", { pipeline: "failing" })).toBe(1);
    expect(
      value(samples, "keel_runs_ended_total", { pipeline: "ingest", status: "succeeded" }),
    ).toBe(1);
    expect(
      value(samples, "keel_runs_ended_total", { pipeline: "failing", status: "quarantined" }),
    ).toBe(1);
    expect(
      value(samples, "keel_quarantine_additions_total", {
        pipeline: "failing",
        reason: "permanent:parse_error",
      }),
    ).toBe(1);
    const read = { pipeline: "ingest", step: "read" };
    expect(value(samples, "keel_step_attempts_total", { ...read, outcome: "succeeded" })).toBe(1);
    expect(value(samples, "keel_step_duration_seconds_count", read)).toBe(1);
    expect(value(samples, "keel_step_duration_seconds_bucket", { ...read, le: "+Inf" })).toBe(1);
    expect(
      value(samples, "keel_step_failures_total", {
        pipeline: "failing",
        step: "load",
        code: "parse_error",
      }),
    ).toBe(1);
    expect(value(samples, "keel_bytes_processed_total", { pipeline: "ingest" })).toBe(1500);
    expect(value(samples, "keel_active_seconds_total")).toBeGreaterThan(0);
    expect(value(samples, "keel_queue_depth", { pipeline: "ingest" })).toBe(1);
    expect(value(samples, "keel_queue_depth", { pipeline: "failing" })).toBe(0);
    // a run waiting for a person is not backlog; it is counted at its gate
    const gate = { pipeline: "signoff", gate: "ok" };
    expect(value(samples, "keel_queue_depth", { pipeline: "signoff" })).toBe(0);
    expect(value(samples, "keel_gates_open", gate)).toBe(1);
    expect(value(samples, "keel_gate_oldest_open_seconds", gate)).toBeGreaterThanOrEqual(0);
    expect(value(samples, "keel_gate_wait_seconds_count", gate)).toBe(1);
    expect(value(samples, "keel_gate_wait_seconds_bucket", { ...gate, le: "60" })).toBe(1);
    expect(value(samples, "keel_queue_oldest_due_age_seconds", { pipeline: "ingest" })).toBe(0);
    expect(value(samples, "keel_quarantine_size", { reason: "permanent:parse_error" })).toBe(1);
    expect(value(samples, "keel_runs", { status: "succeeded" })).toBe(3);
    expect(value(samples, "keel_emergency_stop")).toBe(1);
    expect(value(samples, "keel_workers_busy")).toBe(0);
    expect(value(samples, "keel_store_state", { state: "ok" })).toBe(1);
    expect(value(samples, "keel_disk_guard_state", { state: "ok" })).toBe(1);
    expect(value(samples, "keel_disk_bytes", { kind: "free" })).toBeGreaterThan(0);
    expect(value(samples, "keel_store_state", { state: "damaged" })).toBe(0);
    expect(value(samples, "keel_workers_limit")).toBeGreaterThan(0);
    expect(value(samples, "keel_build_info", { node_version: process.version })).toBe(1);
    // the node's signals moved "ext" closed -> open -> half_open -> closed; the operator tripped "ops"
    const moves = samples.filter((x) => x.name === "keel_breaker_transitions_total");
    const ext = moves.filter((x) => x.labels.breaker === "ext").map((x) => x.labels.to);
    expect(ext.sort()).toEqual(["closed", "half_open", "open"]);
    expect(value(samples, "keel_breaker_transitions_total", { breaker: "ext", to: "open" })).toBe(
      1,
    );
    expect(
      value(samples, "keel_breaker_transitions_total", {
        breaker: "ops",
        from: "closed",
        to: "open",
        reason: "operator_trip",
      }),
    ).toBe(1);
    expect(value(samples, "keel_breaker_state", { breaker: "ops", state: "open" })).toBe(1);
    expect(value(samples, "keel_store_write_duration_seconds_count")).toBeGreaterThan(3);
    expect(types.get("keel_store_write_duration_seconds")).toBe("histogram");
    expect(types.get("keel_step_duration_seconds")).toBe("histogram");
    expect(types.get("keel_runs_ended_total")).toBe("counter");
    for (const s of samples) expect(s.name).toMatch(/^keel_/);
  });

  it("answers in OpenMetrics when the Accept header asks for it", async () => {
    const { res, samples } = await scrape("application/openmetrics-text; version=1.0.0");
    expect(res.headers["content-type"]).toMatch(/^application\/openmetrics-text/);
    expect(res.body.trimEnd().endsWith("# EOF")).toBe(true);
    // the bucket a step's duration fell in carries the run's trace id
    const run = (await k.list({ pipeline: "ingest", status: "succeeded" })).runs[0]!;
    const traced = samples.filter(
      (x) => x.name === "keel_step_duration_seconds_bucket" && x.exemplar !== undefined,
    );
    expect(traced.map((x) => x.labels.pipeline)).toContain("ingest");
    expect(traced.find((x) => x.labels.pipeline === "ingest")!.exemplar).toContain(
      `trace_id="${run.traceId}"`,
    );
    // the text format has no exemplars, and keeps its counters' names after an OpenMetrics scrape
    const text = await scrape();
    expect(text.res.body).not.toContain("trace_id");
    expect(
      value(text.samples, "keel_runs_ended_total", { pipeline: "ingest", status: "succeeded" }),
    ).toBe(1);
    expect(
      value(samples, "keel_runs_ended_total", { pipeline: "ingest", status: "succeeded" }),
    ).toBe(1);
  });

  it("reads the store once per cache period, however often it is scraped", async () => {
    let now = Date.now();
    const metrics = createMetrics(k, { storeCacheMs: 1000, clock: () => now });
    const counts = vi.spyOn(k.store, "countRunsByStatus");
    try {
      const emergency = async () =>
        value(parse(await metrics.scrape(undefined)).samples, "keel_emergency_stop");
      await k.emergencyOn({ reason: "drill", actor: "test" });
      expect(await emergency()).toBe(1);
      await k.emergencyOff({ actor: "test" });
      now += 999;
      // within the period: the figures of the last read, and no read of the store
      expect(await emergency()).toBe(1);
      expect(await emergency()).toBe(1);
      expect(counts).toHaveBeenCalledTimes(1);
      // past the period: a read again (the period stretches after a slow read, never past 30 s)
      now += 29_001;
      expect(await emergency()).toBe(0);
      expect(counts).toHaveBeenCalledTimes(2);
    } finally {
      counts.mockRestore();
      metrics.close();
    }
  });

  it("reads the store once for both formats: the cluster's and the alerts' figures too", async () => {
    const now = Date.now();
    const metrics = createMetrics(k, { storeCacheMs: 1000, clock: () => now });
    const reads = [
      vi.spyOn(k.store, "countRunsByStatus"),
      vi.spyOn(k.store, "placedWaiting"),
      vi.spyOn(k.store, "listAlertStates"),
    ];
    try {
      await metrics.scrape(undefined);
      await metrics.scrape("application/openmetrics-text; version=1.0.0");
      for (const read of reads) expect(read).toHaveBeenCalledTimes(1);
    } finally {
      for (const read of reads) read.mockRestore();
      metrics.close();
    }
  });

  it("reuses the store figures longer after a slow read", async () => {
    let now = Date.now();
    const metrics = createMetrics(k, { storeCacheMs: 1000, clock: () => now });
    const original = k.store.countWaiting.bind(k.store);
    // a read of 20 ms or more: the figures are reused for 500 times that, 10 s at least
    const slow = vi.spyOn(k.store, "countWaiting").mockImplementation(async () => {
      await new Promise((resolve) => setTimeout(resolve, 25));
      return original();
    });
    try {
      await metrics.scrape(undefined);
      expect(slow).toHaveBeenCalledTimes(1);
      now += 9_000;
      await metrics.scrape(undefined);
      expect(slow).toHaveBeenCalledTimes(1);
      now += 21_001;
      // never more than 30 s old
      await metrics.scrape(undefined);
      expect(slow).toHaveBeenCalledTimes(2);
    } finally {
      slow.mockRestore();
      metrics.close();
    }
  });

  it("reports the longest run in flight, by pipeline, until it ends", async () => {
    await k.emergencyOff({ actor: "test" });
    const run = await k.submit("slow", {} as never);
    const longest = async () =>
      (await scrape()).samples.find(
        (x) => x.name === "keel_run_longest_running_seconds" && x.labels.pipeline === "slow",
      )?.value;
    await vi.waitFor(async () => expect(await longest()).toBeGreaterThan(0), { timeout: 5000 });
    release();
    await k.wait(run.id, { timeoutMs: 10_000 });
    expect(await longest()).toBeUndefined();
  });

  it("measures its own health checks: percentiles in /health verbose and as a metric", async () => {
    const auth = { authorization: `Bearer ${viewer}` };
    for (let i = 0; i < 3; i++)
      // 503: the tripped breaker makes the node unhealthy; the check is answered and timed all the same
      expect((await api.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(503);
    const verbose = await api.app.inject({
      method: "GET",
      url: "/health?verbose=true",
      headers: auth,
    });
    const latency = verbose.json().latency;
    expect(latency.samples).toBeGreaterThanOrEqual(3);
    expect(latency.p50_ms).toBeGreaterThan(0);
    expect(latency.p50_ms).toBeLessThanOrEqual(latency.p95_ms);
    expect(latency.p95_ms).toBeLessThanOrEqual(latency.p99_ms);
    const v1 = await api.app.inject({
      method: "GET",
      url: "/v1/health?verbose=true",
      headers: auth,
    });
    expect(v1.json().latency.samples).toBeGreaterThanOrEqual(4);
    // not verbose: no figures
    expect(
      (await api.app.inject({ method: "GET", url: "/v1/health", headers: auth })).json(),
    ).not.toHaveProperty("latency");
    const { samples } = await scrape();
    expect(value(samples, "keel_health_requests_total")).toBeGreaterThanOrEqual(6);
    expect(value(samples, "keel_health_latency_seconds", { quantile: "0.95" })).toBeGreaterThan(0);
  });

  it("needs a token: none is 401, a viewer's works", async () => {
    const none = await api.app.inject({ method: "GET", url: "/metrics" });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe("unauthorized");
    expect(api.routes).toContainEqual({
      method: "GET",
      url: "/metrics",
      role: "viewer",
      operation: null,
    });
  });

  it("metrics.auth false: open on loopback, refused on any other bind and in the config", async () => {
    const open = await listenApi({
      keel: k,
      home,
      host: "127.0.0.1",
      port: 0,
      auth: true,
      metricsAuth: false,
    });
    try {
      const res = await fetch(`${open.url}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^keel_queue_depth\{pipeline="ingest"\} 1$/m);
      expect((await fetch(`${open.url}/v1/runs`)).status).toBe(401);
    } finally {
      await open.close();
    }
    await expect(
      listenApi({ keel: k, home, host: "0.0.0.0", port: 0, auth: true, metricsAuth: false }),
    ).rejects.toThrow(/metrics\.auth is false but server\.host is 0\.0\.0\.0/);
    const file = join(home, "keel.yaml");
    writeFileSync(
      file,
      "server:\n  host: 0.0.0.0\n  allow_plain_http: true\nmetrics:\n  auth: false\n",
    );
    expect(() => loadConfig(file, {})).toThrow(
      /metrics\.auth: false is refused on a non-loopback host/,
    );
    writeFileSync(file, "metrics:\n  auth: false\n");
    expect(loadConfig(file, {}).metrics.auth).toBe(false);
  });
});
