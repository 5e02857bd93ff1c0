// Every route answers with the JSON its declared schema (src/api/wire/) describes: each route of
// the table buildApi returns gets a valid request through fastify's inject, and its answer is
// parsed with the route's response schema, strictly (a field not in the schema fails too).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { PermanentError, approvalGate, keel, pipeline, step, type Keel } from "../../src/index.js";
import { buildApi, type ApiServer, type RouteInfo } from "../../src/api/server.js";
import { LoginLinks } from "../../src/api/console/login-links.js";
import { errorSchema } from "../../src/api/wire/errors.js";
import { createApiToken } from "../../src/ops/tokens.js";
import { alertsConfigSchema } from "../../src/ops/alerts/alert-config.js";
import { attachAlerts } from "../../src/ops/alerts/service.js";
import { createJoinToken } from "../../src/ops/join-tokens.js";

const echo = pipeline("echo", [
  step("double", async (_ctx, input: { n: number }) => ({
    n: input.n * 2,
    camelCase: { keptAs: 1 },
  })),
]);
const gated = pipeline("gated", [approvalGate("review")]);
const failing = pipeline("failing", [
  step("load", { uses: ["ext"] }, async () => {
    throw new PermanentError("no such file", "parse_error");
  }),
]);

// a pipeline the replay sandbox can import, for the verify and shadow routes
const replayableModule = fileURLToPath(
  new URL("../integration/fixtures/determinism-pipelines.mjs", import.meta.url),
);
const { replayable } = (await import(
  "../integration/fixtures/determinism-pipelines.mjs" as string
)) as { replayable: typeof echo };

let home: string;
let k: Keel;
let api: ApiServer;
let admin: string;
const loginLinks = new LoginLinks();
/** ids the requests need: a finished run, a pending one, two quarantined, a token */
const ids: Record<string, string> = {};

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "keel-wire-"));
  k = keel({
    home,
    pipelines: [echo, failing, replayable, gated],
    sources: [{ name: "nightly", pipeline: "echo", input: { n: 1 } }],
    logger: pino({ level: "silent" }),
    pollMs: 50,
  });
  await k.start();
  admin = (await createApiToken(k.store, { name: "t-admin", role: "admin", actor: "test" })).token;
  const spare = await createApiToken(k.store, { name: "t-spare", role: "viewer", actor: "test" });
  ids.token = spare.record.id;
  const settled = async (name: string, input: unknown) => {
    const run = await k.submit(name, input as never);
    await k.wait(run.id, { timeoutMs: 10_000 });
    return run.id;
  };
  // free-form input keys must come back as written, not renamed
  ids.done = await settled("echo", { n: 1 });
  ids.kept = await settled("echo", { n: 2, camelKey: { innerKey: true } });
  ids.quarantined = await settled("failing", {});
  ids.toRetry = await settled("failing", {});
  ids.later = (await k.submit("echo", { n: 3 } as never, { at: "1h" })).id;
  ids.node = k.nodeId as string;
  // a node that stopped long ago, for forget
  await k.store.registerNode({
    id: "old-node",
    host: "h9",
    pid: 1,
    capabilities: [],
    version: "0",
    now: 1,
  });
  await k.store.setNodeState("old-node", "offline", 1);
  ids.joinToken = (await createJoinToken(k.store, { name: "j-spare", actor: "test" })).record.id;
  // a receiver for POST /v1/alerts/:rule/test to queue to; nothing sends in this test
  attachAlerts(
    k,
    alertsConfigSchema.parse({
      receivers: { ops: { url: "http://127.0.0.1:9/hook", secret_env: "WIRE_HOOK_SECRET" } },
    }),
    null,
    { requireSecrets: true, env: { WIRE_HOOK_SECRET: "s3cret" } },
  );
  ids.replayable = await settled("replayable", { n: 1 });
  // two runs waiting at an approval gate: one to approve, one to reject
  ids.toApprove = (await k.submit("gated", {} as never)).id;
  ids.toReject = (await k.submit("gated", {} as never)).id;
  for (let i = 0; (await k.gates.list()).length < 2; i++) {
    if (i > 500) throw new Error("the gated runs never reached their gate");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  api = await buildApi({ keel: k, home, auth: true, loginLinks });
});

afterAll(async () => {
  await api?.app.close();
  await k?.stop({ force: true });
  rmSync(home, { recursive: true, force: true });
});

interface Request {
  url: string;
  payload?: unknown;
}

/** a valid request for each route, by `METHOD path` */
const requests: Record<string, () => Request> = {
  "GET /v1/runs": () => ({ url: "/v1/runs?limit=10" }),
  "GET /v1/runs/:id": () => ({ url: `/v1/runs/${ids.done}` }),
  "POST /v1/runs": () => ({ url: "/v1/runs", payload: { pipeline: "echo", input: { n: 1 } } }),
  "GET /v1/runs/:id/wait": () => ({ url: `/v1/runs/${ids.done}/wait?timeout_ms=0` }),
  "GET /v1/runs/:id/progress": () => ({ url: `/v1/runs/${ids.done}/progress` }),
  "GET /v1/runs/:id/logs": () => ({ url: `/v1/runs/${ids.done}/logs?limit=10` }),
  "POST /v1/runs/:id/cancel": () => ({
    url: `/v1/runs/${ids.later}/cancel`,
    payload: { reason: "not needed" },
  }),
  "POST /v1/runs/:id/retry": () => ({
    url: `/v1/runs/${ids.done}/retry`,
    payload: { note: "again", from_step: "double" },
  }),
  "POST /v1/runs/:id/verify": () => ({
    url: `/v1/runs/${ids.replayable}/verify`,
    payload: { replays: 2 },
  }),
  "GET /v1/gates": () => ({ url: "/v1/gates?pipeline=gated" }),
  "POST /v1/runs/:id/gates/:gate/approve": () => ({
    url: `/v1/runs/${ids.toApprove}/gates/review/approve`,
    payload: { note: "checked" },
  }),
  "POST /v1/runs/:id/gates/:gate/reject": () => ({
    url: `/v1/runs/${ids.toReject}/gates/review/reject`,
    payload: { note: "not this one" },
  }),
  "GET /v1/goldens": () => ({ url: "/v1/goldens" }),
  "POST /v1/goldens": () => ({ url: "/v1/goldens", payload: { run: ids.kept, name: "kept" } }),
  "GET /v1/goldens/diff": () => ({ url: `/v1/goldens/diff?a=${ids.done}&b=${ids.kept}` }),
  "GET /v1/shadows": () => ({ url: "/v1/shadows" }),
  "GET /v1/shadows/report": () => ({ url: "/v1/shadows/report?pipeline=replayable" }),
  // the fixture shadows its own pipeline: the same steps, loaded in the sandbox
  "POST /v1/shadows": () => ({
    url: "/v1/shadows",
    payload: { pipeline: "replayable", module: replayableModule, sample_rate: 0.5 },
  }),
  "POST /v1/shadows/:name/stop": () => ({ url: "/v1/shadows/replayable/stop" }),
  "GET /v1/quarantine": () => ({ url: "/v1/quarantine" }),
  "POST /v1/runs/cancel": () => ({
    url: "/v1/runs/cancel",
    payload: { filter: { pipeline: "echo" }, reason: "not needed", dry_run: true },
  }),
  "POST /v1/quarantine/retry": () => ({
    url: "/v1/quarantine/retry",
    payload: { filter: { pipeline: "failing" }, note: "fixed", dry_run: true },
  }),
  "POST /v1/quarantine/purge": () => ({
    url: "/v1/quarantine/purge",
    payload: { all: true, dry_run: true },
  }),
  "GET /v1/quarantine/:id": () => ({ url: `/v1/quarantine/${ids.quarantined}` }),
  "POST /v1/quarantine/:id/retry": () => ({
    url: `/v1/quarantine/${ids.toRetry}/retry`,
    payload: { note: "fixed the file" },
  }),
  "GET /v1/sources": () => ({ url: "/v1/sources" }),
  "POST /v1/sources/:name/pause": () => ({
    url: "/v1/sources/nightly/pause",
    payload: { reason: "maintenance" },
  }),
  "POST /v1/sources/:name/resume": () => ({ url: "/v1/sources/nightly/resume" }),
  "POST /v1/sources/:name/trigger": () => ({ url: "/v1/sources/nightly/trigger" }),
  "GET /v1/audit": () => ({ url: "/v1/audit" }),
  "GET /v1/transitions": () => ({ url: `/v1/transitions?run=${ids.quarantined}` }),
  "GET /v1/breakers": () => ({ url: "/v1/breakers" }),
  "POST /v1/breakers/:name/trip": () => ({
    url: "/v1/breakers/ext/trip",
    payload: { reason: "vendor outage" },
  }),
  "POST /v1/breakers/:name/reset": () => ({ url: "/v1/breakers/ext/reset" }),
  "GET /v1/alerts": () => ({ url: "/v1/alerts" }),
  "GET /v1/alerts/:rule": () => ({ url: "/v1/alerts/queue_backlog?history=5" }),
  "POST /v1/alerts/:rule/silence": () => ({
    url: "/v1/alerts/disk_warn/silence",
    payload: { for: "1h", reason: "disk swap" },
  }),
  "POST /v1/alerts/:rule/unsilence": () => ({ url: "/v1/alerts/disk_warn/unsilence" }),
  "POST /v1/alerts/:rule/test": () => ({ url: "/v1/alerts/queue_backlog/test" }),
  "GET /v1/telemetry/throughput": () => ({ url: "/v1/telemetry/throughput?since=1h" }),
  "GET /v1/telemetry/failures": () => ({ url: "/v1/telemetry/failures" }),
  "GET /v1/telemetry/latency": () => ({ url: "/v1/telemetry/latency" }),
  "POST /v1/telemetry/clean": () => ({
    url: "/v1/telemetry/clean",
    payload: { older_than_days: 1, dry_run: true },
  }),
  "GET /v1/emergency": () => ({ url: "/v1/emergency" }),
  "POST /v1/emergency/on": () => ({ url: "/v1/emergency/on", payload: { reason: "drill" } }),
  "POST /v1/emergency/off": () => ({ url: "/v1/emergency/off" }),
  "GET /v1/status": () => ({ url: "/v1/status?verbose=true" }),
  "GET /v1/health": () => ({ url: "/v1/health?verbose=true" }),
  "GET /v1/doctor": () => ({ url: "/v1/doctor" }),
  "POST /v1/doctor/fix": () => ({ url: "/v1/doctor/fix", payload: { only: ["pidfile"] } }),
  "GET /v1/tokens": () => ({ url: "/v1/tokens" }),
  "POST /v1/tokens": () => ({ url: "/v1/tokens", payload: { name: "t-new", role: "operator" } }),
  "POST /v1/tokens/:id/revoke": () => ({ url: `/v1/tokens/${ids.token}/revoke` }),
  "GET /v1/nodes": () => ({ url: "/v1/nodes" }),
  "GET /v1/nodes/:id": () => ({ url: `/v1/nodes/${ids.node}` }),
  "POST /v1/nodes/:id/drain": () => ({
    url: `/v1/nodes/${ids.node}/drain`,
    payload: { timeout_ms: 60_000 },
  }),
  "POST /v1/nodes/:id/undrain": () => ({ url: `/v1/nodes/${ids.node}/undrain` }),
  "POST /v1/nodes/:id/forget": () => ({ url: "/v1/nodes/old-node/forget" }),
  "GET /v1/join-tokens": () => ({ url: "/v1/join-tokens" }),
  "POST /v1/join-tokens": () => ({
    url: "/v1/join-tokens",
    payload: { name: "j-new", capabilities: ["gpu"] },
  }),
  "POST /v1/join-tokens/:id/revoke": () => ({ url: `/v1/join-tokens/${ids.joinToken}/revoke` }),
  "GET /health": () => ({ url: "/health?verbose=true" }),
  "GET /v1/pipelines": () => ({ url: "/v1/pipelines" }),
  "GET /v1/me": () => ({ url: "/v1/me" }),
  "POST /v1/console/links": () => ({ url: "/v1/console/links" }),
  "POST /v1/console/login": () => ({
    url: "/v1/console/login",
    payload: { code: loginLinks.issue("test").code },
  }),
  "GET /v1/events": () => ({ url: `/v1/events?after=0&run=${ids.done}` }),
};

async function send(route: RouteInfo, request: Request) {
  return api.app.inject({
    method: route.method as "GET" | "POST" | "HEAD",
    url: request.url,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(request.payload === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(request.payload === undefined ? {} : { payload: JSON.stringify(request.payload) }),
  });
}

function expectMatches(schema: z.ZodType, body: unknown, what: string): void {
  const result = schema.safeParse(body);
  const problems = result.success
    ? ""
    : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  expect(problems, `${what}: ${JSON.stringify(body).slice(0, 400)}`).toBe("");
}

describe("the wire", () => {
  it("every route answers a valid request with JSON its declared schema accepts", async () => {
    // /metrics answers in Prometheus' text format, not JSON (test/api/metrics.test.ts); the
    // console's files are its page and scripts (test/console/)
    const routes = api.routes.filter(
      (r) =>
        r.method !== "HEAD" &&
        r.url !== "/v1/events" &&
        r.url !== "/metrics" &&
        r.url !== "/" &&
        !r.url.startsWith("/assets/"),
    );
    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      const what = `${route.method} ${route.url}`;
      const request = requests[what];
      expect(request, `no request for ${what} in this test`).toBeDefined();
      const schema = api.responses.get(what);
      expect(schema, `${what} declares no response schema`).toBeDefined();
      const res = await send(route, request!());
      // /health is 503 while unhealthy (no pidfile here), with the same document
      const ok = res.statusCode < 300 || (route.url === "/health" && res.statusCode === 503);
      expect(ok, `${what} -> ${res.statusCode} ${res.body.slice(0, 300)}`).toBe(true);
      expectMatches(schema!, res.json(), what);
    }
  });

  it("each event of /v1/events is a transition of the declared shape", async () => {
    expect(api.routes.some((r) => r.method === "GET" && r.url === "/v1/events")).toBe(true);
    const schema = api.responses.get("GET /v1/events");
    expect(schema).toBeDefined();
    // a stream: read over a socket, as a client does, until the run's last transition
    const url = await api.app.listen({ host: "127.0.0.1", port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${url}${requests["GET /v1/events"]!().url}`, {
      headers: { authorization: `Bearer ${admin}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const deadline = Date.now() + 10_000;
    while (!/"step":null,"from":"running","to":"succeeded"/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    const data = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as unknown);
    expect(data.length).toBeGreaterThan(2);
    for (const event of data) expectMatches(schema!, event, "GET /v1/events");
  });

  it("free-form JSON (run input and output, step output) keeps its keys as written", async () => {
    const fresh = await buildApi({ keel: k, home, auth: true });
    try {
      const res = await fresh.app.inject({
        url: `/v1/runs/${ids.kept}`,
        headers: { authorization: `Bearer ${admin}` },
      });
      const run = res.json();
      expect(run.input).toEqual({ n: 2, camelKey: { innerKey: true } });
      expect(run.output).toEqual({ double: { n: 4, camelCase: { keptAs: 1 } } });
      expect(run.steps[0].output).toEqual({ n: 4, camelCase: { keptAs: 1 } });
    } finally {
      await fresh.app.close();
    }
  });

  it("an error is { error: { code, message, details } }", async () => {
    const fresh = await buildApi({ keel: k, home, auth: true });
    try {
      const res = await fresh.app.inject({
        url: "/v1/events?after=-3",
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(res.statusCode).toBe(400);
      expectMatches(errorSchema, res.json(), "a refused query");
    } finally {
      await fresh.app.close();
    }
  });
});
