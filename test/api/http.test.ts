import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listenApi, type RunningApi } from "../../src/api/listen.js";
import { apiHarness, type ApiHarness } from "./helpers.js";

/** The API over a real loopback connection, against a running node. */
let h: ApiHarness;
let api: RunningApi;
let auth: Record<string, string>;
beforeEach(async () => {
  h = await apiHarness({ start: true });
  api = await listenApi({ keel: h.keel, home: h.home, host: "127.0.0.1", port: 0, auth: true });
  auth = { authorization: `Bearer ${h.tokens.operator}` };
});
afterEach(async () => {
  await api.close();
  await h.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** Reads server-sent events until `until` says stop; returns them with their ids. */
async function readEvents(
  path: string,
  until: (events: { id: number; data: any }[]) => boolean,
  headers: Record<string, string> = {},
) {
  const controller = new AbortController();
  const res = await fetch(`${api.url}${path}`, {
    headers: { ...auth, ...headers },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const events: { id: number; data: any }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const deadline = Date.now() + 10_000;
  while (!until(events) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (\d+)$/m.exec(block);
      const data = /^data: (.*)$/m.exec(block);
      if (id && data) events.push({ id: Number(id[1]), data: JSON.parse(data[1]!) });
    }
  }
  controller.abort();
  return events;
}

describe("runs over HTTP", () => {
  it("submits (201, then 200 for the same idempotency key), waits, shows steps and pages", async () => {
    const first = await call("POST", "/v1/runs", {
      pipeline: "echo",
      input: { n: 21 },
      idempotency_key: "k1",
    });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ pipeline: "echo", created: true, source: "api" });
    const again = await call("POST", "/v1/runs", {
      pipeline: "echo",
      input: { n: 21 },
      idempotency_key: "k1",
    });
    expect(again).toMatchObject({ status: 200, json: { id: first.json.id, created: false } });
    const done = await call("GET", `/v1/runs/${first.json.id}/wait?timeout_ms=10000`);
    expect(done.json).toMatchObject({
      status: "succeeded",
      terminal: true,
      output: { double: { n: 42 } },
    });
    const shown = await call("GET", `/v1/runs/${first.json.id}`);
    expect(shown.json.steps).toMatchObject([{ step: "double", attempt: 1, output: { n: 42 } }]);
    expect(shown.json.transitions.at(-1)).toMatchObject({ to: "succeeded", run_id: first.json.id });

    for (let i = 0; i < 4; i++)
      await call("POST", "/v1/runs", { pipeline: "echo", input: { n: i } });
    const page1 = await call("GET", "/v1/runs?limit=2");
    const page2 = await call("GET", `/v1/runs?limit=2&cursor=${page1.json.next_cursor}`);
    const page3 = await call("GET", `/v1/runs?limit=2&cursor=${page2.json.next_cursor}`);
    const ids = [...page1.json.runs, ...page2.json.runs, ...page3.json.runs].map(
      (r: { id: string }) => r.id,
    );
    expect(new Set(ids).size).toBe(5);
    expect(page3.json.next_cursor).toBeNull();
    expect((await call("GET", "/v1/runs?pipeline=echo&since=1h&status=succeeded")).status).toBe(
      200,
    );
  });

  it("answers errors as JSON with a 4xx: unknown route, unknown run, bad pipeline, too big", async () => {
    expect(await call("GET", "/v1/nope")).toMatchObject({
      status: 404,
      json: { error: { code: "not_found" } },
    });
    expect(await call("GET", "/v1/runs/run_nope")).toMatchObject({
      status: 404,
      json: { error: { code: "not_found" } },
    });
    const bad = await call("POST", "/v1/runs", { pipeline: "nope", input: {} });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("unknown_pipeline");
    const huge = await call("POST", "/v1/runs", {
      pipeline: "echo",
      input: { blob: "x".repeat(2_000_000) },
    });
    expect(huge).toMatchObject({ status: 413, json: { error: { code: "payload_too_large" } } });
    const cancelTwice = await call("POST", "/v1/runs", {
      pipeline: "echo",
      input: { n: 1 },
      at: "1h",
    });
    expect(
      (await call("POST", `/v1/runs/${cancelTwice.json.id}/cancel`, { reason: "no" })).status,
    ).toBe(200);
    const again = await call("POST", `/v1/runs/${cancelTwice.json.id}/cancel`, { reason: "no" });
    expect(again).toMatchObject({ status: 409, json: { error: { code: "illegal_transition" } } });
  });
});

describe("/v1/events", () => {
  it("streams every transition as it happens, and resumes after Last-Event-ID without a gap", async () => {
    const submitted = (async () => {
      await new Promise((r) => setTimeout(r, 150));
      return (await call("POST", "/v1/runs", { pipeline: "echo", input: { n: 1 } })).json
        .id as string;
    })();
    const live = await readEvents("/v1/events", (events) =>
      events.some((e) => e.data.step === null && e.data.to === "succeeded"),
    );
    const id = await submitted;
    expect(live.every((e) => e.data.run_id === id)).toBe(true);
    expect(live.map((e) => `${e.data.step ?? "run"}:${e.data.to}`)).toEqual(
      expect.arrayContaining([
        "run:pending",
        "run:running",
        "double:running",
        "double:succeeded",
        "run:succeeded",
      ]),
    );
    const ids = live.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // a client that saw only the first event reconnects and gets the rest, in order
    const resumed = await readEvents(
      `/v1/events?run=${id}`,
      (events) => events.length >= live.length - 1,
      { "last-event-id": String(ids[0]) },
    );
    expect(resumed.map((e) => e.id)).toEqual(ids.slice(1));
  });

  it("a page of transitions: newest=true gives the last ones, oldest first", async () => {
    const run = await call("POST", "/v1/runs", { pipeline: "echo", input: { n: 3 } });
    await call("GET", `/v1/runs/${run.json.id}/wait`);
    const page = await call("GET", `/v1/transitions?run=${run.json.id}&newest=true&limit=2`);
    expect(page.json.transitions.map((t: { to: string }) => t.to)).toEqual([
      "succeeded",
      "succeeded",
    ]);
    expect(page.json.last_id).toBe(page.json.transitions[1].id);
  });
});
