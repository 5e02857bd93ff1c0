// The demo's embedding step behind its breaker, against the demo's own embedding service: the
// same report through the service, through the fallback while the service is down (marked
// degraded), and after the probe sees it back; with the fallback off, runs wait for the service.
import { afterEach, describe, expect, it } from "vitest";
import { demoBreakers } from "../../examples/document-analysis/embedding-client.js";
import {
  startEmbeddingService,
  type EmbeddingService,
} from "../../examples/document-analysis/embedding-service.js";
import { embedText } from "../../examples/document-analysis/steps/embedding.js";
import { embedRemote } from "../../examples/document-analysis/embedding-client.js";
import { loadDocuments } from "../../examples/document-analysis/documents.js";
import { documentAnalysis } from "../../examples/document-analysis/pipeline.js";
import type { Keel } from "../../src/index.js";
import { until, useHarness } from "./helpers.js";

const h = useHarness();
const saved = { ...process.env };

afterEach(() => {
  for (const key of ["KEEL_DEMO_EMBEDDING_URL", "KEEL_DEMO_EMBEDDING_FALLBACK"])
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
});

async function service(port = 0): Promise<EmbeddingService> {
  const s = await startEmbeddingService(port);
  h.onCleanup(() => void s.close());
  return s;
}

async function analyse(k: Keel, index: number) {
  const doc = (await loadDocuments())[index];
  const run = await k.submit(documentAnalysis, doc as never);
  const done = await k.wait(run.id, { timeoutMs: 15_000 });
  const embedding = (await k.inspect(run.id)).steps.find((s) => s.step === "embedding");
  return { done, degraded: embedding?.degraded };
}

describe("the demo's embedding service", () => {
  it("embeds like the step's local code", async () => {
    const s = await service();
    const texts = ["The utility will serve 12,000 households.", "", "Budget: USD 300,000"];
    const signal = new AbortController().signal;
    expect(await embedRemote(s.url, texts, signal)).toEqual(texts.map((t) => embedText(t)));
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const bad = await fetch(`${s.url}/embed`, { method: "POST", body: "{}" });
    expect(bad.status).toBe(400);
  });

  it("falls back while the service is down, and the probe sees it back", async () => {
    const first = await service();
    const port = Number(new URL(first.url).port);
    process.env.KEEL_DEMO_EMBEDDING_URL = first.url;
    const k = await h.start({ pipelines: [documentAnalysis], breakers: demoBreakers });
    const served = await analyse(k, 0);
    expect(served).toMatchObject({ done: { status: "succeeded" }, degraded: false });

    await first.close();
    // the run's three failures open the breaker, and its fallback serves the same report; the
    // third, the one that opened it, spends no attempt (docs/concepts.md#dependencies-behind-breakers)
    const exhausted = await analyse(k, 1);
    expect(exhausted).toMatchObject({ done: { status: "succeeded", attempts: 2 }, degraded: true });
    const breaker = () =>
      k.breakers.list().then((l) => l.find((b) => b.name === "embedding-service"));
    expect(await breaker()).toMatchObject({ state: "open", probe: true });
    const fallback = await analyse(k, 0);
    expect(fallback).toMatchObject({ done: { status: "succeeded", attempts: 0 }, degraded: true });
    expect(fallback.done.output).toEqual(served.done.output);

    await service(port);
    await until(async () => (await breaker())?.state !== "open", { message: "probe half-opened" });
    expect(await analyse(k, 0)).toMatchObject({ degraded: false });
  });

  it("with the fallback off, a run waits for the service and spends no attempt", async () => {
    const first = await service();
    const port = Number(new URL(first.url).port);
    process.env.KEEL_DEMO_EMBEDDING_URL = first.url;
    process.env.KEEL_DEMO_EMBEDDING_FALLBACK = "off";
    const k = await h.start({ pipelines: [documentAnalysis], breakers: demoBreakers });
    await first.close();
    await k.breakers.trip("embedding-service", { reason: "service stopped", actor: "tester" });
    const doc = (await loadDocuments())[2];
    const run = await k.submit(documentAnalysis, doc as never);
    await until(async () => {
      const t = (await k.inspect(run.id)).transitions.at(-1);
      return t?.reason === "breaker_open:embedding-service";
    });
    await service(port);
    await k.breakers.reset("embedding-service", { actor: "tester" });
    const done = await k.wait(run.id, { timeoutMs: 15_000 });
    expect(done).toMatchObject({ status: "succeeded", attempts: 0 });
  });
});
