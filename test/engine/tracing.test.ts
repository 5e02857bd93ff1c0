// Trace context and spans: a run submitted with a W3C traceparent joins the caller's trace, each
// step sees the traceparent of its own span, and the spans of the run and of every step attempt
// (a retry, its error status and events) reach a real OTLP/HTTP receiver on 127.0.0.1.
import { afterEach, describe, expect, it } from "vitest";
import { pipeline, step, TransientError } from "../../src/index.js";
import { fastRetry, until, useHarness } from "./helpers.js";
import { startOtlpReceiver, type OtlpReceiver } from "./otlp-receiver.js";

const h = useHarness();
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpan = "00f067aa0ba902b7";
const header = `00-${callerTrace}-${callerSpan}-01`;

describe("traceparent on submit", () => {
  it("makes the caller's trace id the run's, and hands each step its span's traceparent", async () => {
    const seen: (string | undefined)[] = [];
    const p = pipeline("traced-ctx", [
      step("a", (ctx) => {
        seen.push(ctx.traceparent);
        return 1;
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, {}, { traceparent: header.toUpperCase() });
    expect(run.traceId).toBe(callerTrace);
    expect(run.traceParent).toBe(header);
    await k.wait(run.id, { timeoutMs: 5000 });
    // no exporter: still a header in the run's trace, its own span id, the caller's sampled flag
    expect(seen[0]).toMatch(new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`));
    expect(seen[0]).not.toContain(callerSpan);
    const plain = await k.submit(p, {});
    await k.wait(plain.id, { timeoutMs: 5000 });
    expect(seen[1]).toMatch(new RegExp(`^00-${plain.traceId}-[0-9a-f]{16}-00$`));
  });

  it("refuses a malformed traceparent, naming it, and stores nothing", async () => {
    const p = pipeline("traced-bad", [step("a", () => 1)]);
    const k = h.make({ pipelines: [p] });
    for (const bad of [
      "nonsense",
      `00-${"0".repeat(32)}-${callerSpan}-01`,
      `ff-${callerTrace}-${callerSpan}-01`,
    ])
      await expect(k.submit(p, {}, { traceparent: bad })).rejects.toMatchObject({
        code: "invalid_input",
        details: { field: "traceparent" },
      });
    expect((await k.list()).runs).toEqual([]);
  });
});

describe("spans over OTLP/HTTP", () => {
  it("exports a run span under the caller's span and a span per step attempt, a failed one with its error", async () => {
    receiver = await startOtlpReceiver();
    let tries = 0;
    const stepHeaders: string[] = [];
    const p = pipeline("traced-spans", [
      step("fetch", { retry: { maxAttempts: 3, ...fastRetry } }, (ctx) => {
        stepHeaders.push(ctx.traceparent ?? "");
        if (++tries === 1) throw new TransientError("upstream 503");
        return { ok: true };
      }),
      step("store", { after: ["fetch"] }, () => 2),
    ]);
    const k = await h.start({ pipelines: [p], tracing: { otlpUrl: receiver.url } });
    const run = await k.submit(p, {}, { traceparent: header });
    await k.wait(run.id, { timeoutMs: 5000 });
    await k.stop(); // exports what is buffered
    const spans = receiver.spans;
    expect(spans.every((s) => s.traceId === callerTrace)).toBe(true);
    const runSpans = spans.filter((s) => s.name === "run traced-spans");
    // one execution for the failed attempt (the run went back to pending), one for the rest
    expect(runSpans.length).toBe(2);
    for (const r of runSpans) {
      expect(r.parentSpanId).toBe(callerSpan);
      expect(r.attributes).toMatchObject({
        "keel.run_id": run.id,
        "keel.pipeline": "traced-spans",
      });
      expect(r.service).toBe("keel");
    }
    expect(runSpans.flatMap((r) => r.events.map((e) => e.name))).toContain("retry scheduled");
    const fetches = spans.filter((s) => s.name === "step fetch");
    expect(fetches.map((s) => s.attributes["keel.attempt"]).sort()).toEqual([1, 2]);
    const failed = fetches.find((s) => s.attributes["keel.attempt"] === 1);
    expect(failed?.status).toMatchObject({ code: 2, message: "upstream 503" });
    // each attempt's ctx.traceparent names that attempt's span
    for (const s of fetches) expect(stepHeaders).toContain(`00-${callerTrace}-${s.spanId}-01`);
    const store = spans.find((s) => s.name === "step store");
    expect(store?.attributes).toMatchObject({
      "keel.step": "store",
      "keel.attempt": 1,
      "keel.run_id": run.id,
    });
    expect(runSpans.map((r) => r.spanId)).toContain(store?.parentSpanId);
  });

  it("roots the trace at the run when it came without a traceparent", async () => {
    receiver = await startOtlpReceiver();
    const p = pipeline("traced-root", [step("a", () => 1)]);
    const k = await h.start({
      pipelines: [p],
      tracing: { otlpUrl: receiver.url, serviceName: "billing" },
    });
    const run = await k.submit(p, {});
    await k.wait(run.id, { timeoutMs: 5000 });
    await k.stop();
    const root = await until(() => receiver?.spans.find((s) => s.name === "run traced-root"));
    expect(root).toMatchObject({
      traceId: run.traceId,
      parentSpanId: undefined,
      service: "billing",
    });
  });
});
