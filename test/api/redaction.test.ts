import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keel, pipeline, step, type Keel } from "../../src/index.js";
import { listenApi, type RunningApi } from "../../src/api/listen.js";
import { createApiToken } from "../../src/ops/tokens.js";

/**
 * Item 11: with security.path_redaction (the default) no API answer names a folder of this
 * machine: not in a run's error stack, not in the quarantine, not in health or status. `/health`
 * without a token says only the status of each component.
 */
const boom = pipeline("boom", [
  step("fail", { retry: { maxAttempts: 1 } }, async () => {
    throw new Error(`cannot open ${join(tmpdir(), "secret-folder", "input.csv")}`);
  }),
]);

let home: string;
let k: Keel;
let api: RunningApi;
let viewer: string;
let runId: string;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "keel-redact-"));
  k = keel({ home, pipelines: [boom], logger: pino({ level: "silent" }), pollMs: 50 });
  await k.start();
  viewer = (await createApiToken(k.store, { name: "v", role: "viewer", actor: "test" })).token;
  api = await listenApi({ keel: k, home, host: "127.0.0.1", port: 0, auth: true });
  runId = (await k.submit("boom", {})).id;
  const deadline = Date.now() + 10_000;
  while ((await k.store.getRun(runId))?.status !== "quarantined" && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await api.close();
  await k.stop({ force: true });
  rmSync(home, { recursive: true, force: true });
});

async function get(path: string, token: string | null = viewer) {
  const res = await fetch(`${api.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, text: await res.text() };
}

/** No absolute path of this machine, and no file URL with a folder in it. */
function expectNoPaths(text: string, where: string): void {
  for (const folder of [home, tmpdir(), process.cwd(), "/home/", "/root/"])
    expect(text.includes(folder), `${where} names ${folder}: ${text.slice(0, 400)}`).toBe(false);
  expect(text, where).not.toMatch(/file:\/\/\/\w/);
}

describe("path redaction on the API", () => {
  it("a run's error and stack name files, not folders, on every route that shows them", async () => {
    for (const path of [
      "/v1/runs",
      `/v1/runs/${runId}`,
      "/v1/quarantine",
      `/v1/quarantine/${runId}`,
      `/v1/transitions?run=${runId}`,
    ]) {
      const { status, text } = await get(path);
      expect(status, path).toBe(200);
      expectNoPaths(text, path);
    }
    const shown = JSON.parse((await get(`/v1/runs/${runId}`)).text) as {
      error: { message: string; stack: string };
    };
    expect(shown.error.message).toBe("cannot open …/input.csv");
    expect(shown.error.stack).toMatch(/…\/redaction\.test\.ts:\d+:\d+/);
  });

  it("an operator token is redacted too; the admin token (the CLI on the machine) is not", async () => {
    const operator = (await createApiToken(k.store, { name: "o", role: "operator", actor: "t" }))
      .token;
    expectNoPaths((await get(`/v1/runs/${runId}`, operator)).text, "operator");
    const admin = (await createApiToken(k.store, { name: "a", role: "admin", actor: "t" })).token;
    const whole = JSON.parse((await get(`/v1/runs/${runId}`, admin)).text) as {
      error: { message: string; stack: string };
    };
    expect(whole.error.message).toBe(`cannot open ${join(tmpdir(), "secret-folder", "input.csv")}`);
    expect(whole.error.stack).toContain(process.cwd());
    expect(JSON.parse((await get("/health", admin)).text).home).toBe(home);
  });

  it("the event stream redacts its transitions too", async () => {
    const controller = new AbortController();
    const res = await fetch(`${api.url}/v1/events?run=${runId}&after=0`, {
      headers: { authorization: `Bearer ${viewer}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes('"to":"quarantined"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toMatch(/"to":"quarantined"/);
    expectNoPaths(text, "/v1/events");
  });

  it("health and status name no folder, and /health without a token says only statuses", async () => {
    for (const path of [
      "/v1/health?verbose=true",
      "/v1/status?verbose=true",
      "/health?verbose=true",
    ])
      expectNoPaths((await get(path)).text, path);
    const open = await get("/health", null);
    expect([200, 503]).toContain(open.status);
    const body = JSON.parse(open.text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["checked_at", "components", "status"]);
    for (const c of body.components as Record<string, unknown>[])
      expect(Object.keys(c).sort()).toEqual(["component", "status"]);
    const verbose = await get("/health?verbose=true", null);
    expect(verbose.status).toBe(401);
    expect(JSON.parse(verbose.text).error.code).toBe("unauthorized");
    const withToken = JSON.parse((await get("/health?verbose=true")).text) as {
      home: string;
      components: { reason: string; details: unknown }[];
    };
    expect(withToken.home).toMatch(/^…\/keel-redact-/);
    expect(withToken.components[0]).toHaveProperty("details");
  });
});
