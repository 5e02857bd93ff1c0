import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { diffJson } from "../../src/core/determinism/json-diff.js";
import { classifyReplays, type ReplayOutcome } from "../../src/core/determinism/mismatch.js";
import { seededRandom } from "../../src/core/determinism/seeded-random.js";
import {
  maskVolatile,
  outputHash,
  parseVolatilePath,
} from "../../src/core/determinism/volatile.js";
import { hashJson, type JsonValue } from "../../src/core/canonical-json.js";
import { step } from "../../src/core/pipeline.js";
import { liveRecorder, replayRecorder } from "../../src/engine/determinism/recorder.js";
import { RunStop } from "../../src/engine/run-stop.js";
import { runStep } from "../../src/engine/step-runner.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe("seeded randomness", () => {
  it("draws the same sequence for the same seed and step, another for another step", () => {
    const a = seededRandom(42, "price");
    const b = seededRandom(42, "price");
    const other = seededRandom(42, "tax");
    const drawsA = [a.next(), a.next(), a.uuid()];
    expect([b.next(), b.next(), b.uuid()]).toEqual(drawsA);
    expect(other.next()).not.toBe(drawsA[0]);
    expect(drawsA[2]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    for (let i = 0; i < 1000; i++) {
      const n = a.next();
      expect(n >= 0 && n < 1).toBe(true);
    }
  });
});

describe("volatile fields", () => {
  it("parses paths and refuses malformed ones", () => {
    expect(parseVolatilePath("items[].id")).toEqual(["items", "[]", "id"]);
    expect(parseVolatilePath("meta.generatedAt")).toEqual(["meta", "generatedAt"]);
    for (const bad of ["", ".a", "a..b", "a[0]", "[]"]) expect(parseVolatilePath(bad)).toBeNull();
    expect(() => step("s", { volatile: ["a[0]"] }, () => 1)).toThrow(/volatile path "a\[0\]"/);
  });

  it("masks named fields out of the hash and nothing else", () => {
    const paths = ["generatedAt", "items[].id"].map((p) => parseVolatilePath(p) ?? []);
    const one = { total: 3, generatedAt: "2026-01-01T00:00:00Z", items: [{ id: "x", n: 1 }] };
    const two = { total: 3, generatedAt: "2026-02-02T00:00:00Z", items: [{ id: "y", n: 1 }] };
    expect(outputHash(one, paths)).toBe(outputHash(two, paths));
    expect(outputHash({ ...one, total: 4 }, paths)).not.toBe(outputHash(two, paths));
    expect(maskVolatile(one, paths)).toEqual({ total: 3, items: [{ n: 1 }] });
    expect(one.items[0]?.id).toBe("x"); // the output itself is untouched
    expect(outputHash(one, [])).toBe(hashJson(one));
  });

  it("diffs structurally, whatever the key order", () => {
    expect(diffJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 3] }, a: 1 })).toEqual([
      { path: "$.b.c[1]", a: 2, b: 3 },
    ]);
    expect(diffJson({ a: 1 }, { a: 1, z: null })).toEqual([{ path: "$.z", a: undefined, b: null }]);
  });
});

const replay = (output: JsonValue, extra: Partial<ReplayOutcome> = {}): ReplayOutcome => ({
  output,
  external: [],
  rng: 0,
  clock: 0,
  ...extra,
});

describe("mismatch classes", () => {
  const record = { total: 3 };
  const h = hashJson(record);
  it("same: every replay matches the record", () => {
    expect(classifyReplays(h, record, [replay(record), replay(record)]).class).toBeNull();
  });
  it("EXTERNAL_CALL wins over everything", () => {
    const v = classifyReplays(h, record, [replay({ total: 4 }, { external: ["read /etc/hosts"] })]);
    expect(v).toMatchObject({ class: "EXTERNAL_CALL", calls: ["read /etc/hosts"] });
  });
  it("VOLATILE_LEAK: only times or ids differ", () => {
    const v = classifyReplays(h, record, [
      replay({ total: 3, at: "2026-12-07T05:00:00.000Z" }),
      replay({ total: 3, at: "2026-12-07T05:00:00.001Z" }),
    ]);
    expect(v).toMatchObject({ class: "VOLATILE_LEAK", fields: [{ path: "$.at" }] });
  });
  it("UNSEEDED_RNG: replays differ and drew unseeded numbers", () => {
    const v = classifyReplays(h, record, [
      replay({ total: 0.1 }, { rng: 1 }),
      replay({ total: 0.7 }, { rng: 1 }),
    ]);
    expect(v).toMatchObject({
      class: "UNSEEDED_RNG",
      fields: [{ path: "$.total", a: 0.1, b: 0.7 }],
    });
  });
  it("SEED_MISMATCH: replays agree with each other, not with the record", () => {
    const v = classifyReplays(h, record, [replay({ total: 5 }), replay({ total: 5 })]);
    expect(v).toMatchObject({ class: "SEED_MISMATCH", fields: [{ path: "$.total", a: 3, b: 5 }] });
  });
  it("DETERMINISM_VIOLATION: replays differ with nothing to blame, or a replay fails", () => {
    expect(classifyReplays(h, record, [replay({ total: 1 }), replay({ total: 2 })]).class).toBe(
      "DETERMINISM_VIOLATION",
    );
    const failed = {
      external: [],
      rng: 0,
      clock: 0,
      error: { code: "permanent", message: "boom" },
    };
    expect(classifyReplays(h, record, [failed]).class).toBe("DETERMINISM_VIOLATION");
  });
});

describe("recorded helpers", () => {
  async function server(): Promise<{
    url: string;
    seen: IncomingHttpHeaders[];
    close(): Promise<void>;
  }> {
    const seen: IncomingHttpHeaders[] = [];
    let n = 0;
    const s = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ rate: 1.5, call: ++n }));
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const { port } = s.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/rate`,
      seen,
      close: () => new Promise((r) => s.close(() => r())),
    };
  }

  const fetching = step("fetching", async (ctx) => {
    const res = await ctx.fetch(`${(ctx.runInput as { url: string }).url}`);
    return { body: (await res.json()) as JsonValue, at: ctx.now(), pick: ctx.random() };
  });

  const request = (url: string, extra: Partial<Parameters<typeof runStep>[0]> = {}) =>
    runStep({
      step: fetching,
      runId: "run_1",
      traceId: "t",
      pipeline: "p",
      attempt: 1,
      runInput: { url },
      seed: 7,
      input: null,
      timeoutMs: 5000,
      runStop: new RunStop(),
      log: () => silent,
      onProgress: () => {},
      ...extra,
    });

  it("records ctx.fetch and ctx.now, sends traceparent, and a replay serves the record offline", async () => {
    const srv = await server();
    try {
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      const live = await request(srv.url, { traceparent });
      expect(live.ok).toBe(true);
      if (!live.ok) return;
      expect(srv.seen[0]?.traceparent).toBe(traceparent);
      expect(live.recorded?.fetch).toHaveLength(1);
      expect(live.recorded?.now).toHaveLength(1);
      const replayed = await request(srv.url, {
        recorder: replayRecorder(live.recorded ?? { now: [], fetch: [] }),
      });
      expect(replayed).toMatchObject({ ok: true, output: live.output });
      expect(srv.seen).toHaveLength(1); // the replay did not call the server
      // another URL than the recorded one is refused, not called
      const other = await request(`${srv.url}?x=1`, {
        recorder: replayRecorder(live.recorded ?? { now: [], fetch: [] }),
      });
      expect(other.ok).toBe(false);
      if (!other.ok) expect(other.error.message).toMatch(/was not recorded/);
      expect(srv.seen).toHaveLength(1);
    } finally {
      await srv.close();
    }
  });

  it("a live recorder starts empty: a step using neither helper records nothing", async () => {
    expect(liveRecorder().recording()).toEqual({ now: [], fetch: [] });
    const plain = await runStep({ ...(await baseOf()), step: step("plain", () => 1) });
    expect(plain).toEqual({ ok: true, output: 1 });
  });
});

async function baseOf() {
  return {
    runId: "run_1",
    traceId: "t",
    pipeline: "p",
    attempt: 1,
    runInput: null,
    seed: 7,
    input: null,
    timeoutMs: undefined,
    runStop: new RunStop(),
    log: () => silent,
    onProgress: () => {},
  };
}
