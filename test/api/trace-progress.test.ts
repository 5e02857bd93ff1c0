// The traceparent header on POST /v1/runs (the run joins the caller's trace; a malformed one is
// refused and stores nothing), a run's progress over GET, and progress events on /v1/events.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiHarness, snapshot, type ApiHarness } from "./helpers.js";

let h: ApiHarness;
beforeEach(async () => {
  h = await apiHarness();
});
afterEach(async () => {
  await h.close();
});

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const header = `00-${callerTrace}-00f067aa0ba902b7-01`;

function submit(traceparent: string) {
  return h.api.app.inject({
    method: "POST",
    url: "/v1/runs",
    headers: {
      authorization: `Bearer ${h.tokens.operator}`,
      "content-type": "application/json",
      traceparent,
    },
    payload: JSON.stringify({ pipeline: "echo", input: { n: 1 } }),
  });
}

describe("traceparent", () => {
  it("makes the caller's trace id the run's", async () => {
    const res = await submit(header);
    expect(res.statusCode).toBe(201);
    const run = res.json();
    expect(run.trace_id).toBe(callerTrace);
    expect((await h.keel.get(run.id))?.traceParent).toBe(header);
  });

  it("refuses a malformed one with 400, naming it, and stores nothing", async () => {
    const before = await snapshot(h.keel);
    const res = await submit("00-xyz");
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: "invalid_input",
      details: { field: "traceparent" },
    });
    expect(res.json().error.message).toMatch(/traceparent "00-xyz" is not a W3C traceparent/);
    expect(await snapshot(h.keel)).toEqual(before);
  });
});

describe("progress", () => {
  it("is served by GET /v1/runs/:id, /progress, and as progress events of /v1/events", async () => {
    const run = (await submit(header)).json();
    const address = await h.api.app.listen({ host: "127.0.0.1", port: 0 });
    const controller = new AbortController();
    const res = await fetch(`${address}/v1/events?run=${run.id}`, {
      headers: { authorization: `Bearer ${h.tokens.viewer}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const report = {
      runId: run.id,
      step: "double",
      attempt: 1,
      done: 2,
      total: 4,
      message: "half",
      updatedAt: Date.now(),
    };
    await h.keel.store.reportProgress(report);
    let text = "";
    const decoder = new TextDecoder();
    const deadline = Date.now() + 5000;
    while (!/event: progress\ndata: .*\n\n/.test(text) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    controller.abort();
    const data = /event: progress\ndata: (.*)\n\n/.exec(text)?.[1];
    expect(JSON.parse(data ?? "null")).toMatchObject({
      run_id: run.id,
      step: "double",
      attempt: 1,
      done: 2,
      total: 4,
      message: "half",
    });
    const get = (url: string) =>
      h.api.app.inject({ url, headers: { authorization: `Bearer ${h.tokens.viewer}` } });
    expect((await get(`/v1/runs/${run.id}/progress`)).json().progress).toEqual([
      expect.objectContaining({ step: "double", done: 2, total: 4, message: "half" }),
    ]);
    const shown = (await get(`/v1/runs/${run.id}`)).json();
    expect(shown.progress).toHaveLength(1);
    expect(shown.running_steps).toEqual([]); // the run is pending: nothing in flight
  });
});
