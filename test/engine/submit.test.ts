// Submitting: idempotency keys, priorities, delayed runs, validation of pipeline, input and
// options (nothing stored on a refusal), and wait() timing out.
import { describe, expect, it } from "vitest";
import { KeelError, pipeline, step, type SubmitOptions } from "../../src/index.js";
import { useHarness } from "./helpers.js";

const h = useHarness();

describe("idempotency", () => {
  it("returns the first run for a second submit with the same key", async () => {
    let calls = 0;
    const p = pipeline("idem", [
      step("s", () => {
        calls++;
        return 1;
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    const first = await k.submit(p, { n: 1 }, { idempotencyKey: "order-17" });
    const second = await k.submit(p, { n: 2 }, { idempotencyKey: "order-17" });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.id).toBe(first.id);
    expect(second.input).toEqual({ n: 1 });
    await k.wait(first.id, { timeoutMs: 5000 });
    // after it finished, the key still maps to it
    const third = await k.submit(p, { n: 3 }, { idempotencyKey: "order-17" });
    expect(third).toMatchObject({ id: first.id, created: false, status: "succeeded" });
    // a different key is a different run
    const other = await k.submit(p, { n: 4 }, { idempotencyKey: "order-18" });
    expect(other.created).toBe(true);
    expect(other.id).not.toBe(first.id);
    await k.wait(other.id, { timeoutMs: 5000 });
    expect(calls).toBe(2);
    expect((await k.list()).runs).toHaveLength(2);
  });

  it("refuses a key on a batch of several runs", async () => {
    const p = pipeline("idem-many", [step("s", () => 1)]);
    const k = h.make({ pipelines: [p] });
    await expect(k.submitMany(p, [{}, {}], { idempotencyKey: "k" })).rejects.toMatchObject({
      code: "invalid_input",
      details: { field: "idempotencyKey" },
    });
    expect((await k.list()).runs).toEqual([]);
  });
});

describe("priorities and delays", () => {
  it("with concurrency 1, runs submitted before the node starts execute highest priority first", async () => {
    const order: string[] = [];
    const p = pipeline("prio", [
      step("s", (_c, i: { name: string }) => {
        order.push(i.name);
        return i.name;
      }),
    ]);
    const k = h.make({ pipelines: [p], concurrency: 1 });
    const low = await k.submit(p, { name: "low" }, { priority: -5 });
    const high = await k.submit(p, { name: "high" }, { priority: 10 });
    const medium = await k.submit(p, { name: "medium" }, { priority: 0 });
    await k.start();
    for (const r of [low, high, medium])
      expect((await k.wait(r.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    expect(order).toEqual(["high", "medium", "low"]);
  });

  it("runs of equal priority execute in submission order", async () => {
    const order: number[] = [];
    const p = pipeline("fifo", [
      step("s", (_c, i: { n: number }) => {
        order.push(i.n);
        return i.n;
      }),
    ]);
    const k = h.make({ pipelines: [p], concurrency: 1 });
    const runs = [];
    for (let n = 0; n < 5; n++) runs.push(await k.submit(p, { n }));
    await k.start();
    for (const r of runs) await k.wait(r.id, { timeoutMs: 5000 });
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("does not start a delayed run before its time, and starts it soon after", async () => {
    let startedAt = 0;
    const p = pipeline("delayed", [
      step("s", () => {
        startedAt = Date.now();
        return 1;
      }),
    ]);
    const k = await h.start({ pipelines: [p] });
    const at = Date.now() + 300;
    const run = await k.submit(p, {}, { at });
    expect(run.scheduledFor).toBe(at);
    expect(run.status).toBe("pending");
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(startedAt).toBeGreaterThanOrEqual(at);
    expect(done.startedAt).toBeGreaterThanOrEqual(at);
    // loose: well before the 1 s safety poll would find it twice over
    expect(startedAt - at).toBeLessThan(2000);
  });

  it("accepts at as a Date, an ISO time and a delay like 200ms", async () => {
    const p = pipeline("delayed-forms", [step("s", () => 1)]);
    const k = h.make({ pipelines: [p] });
    const now = Date.now();
    const a = await k.submit(p, {}, { at: new Date(now + 60_000) });
    expect(a.scheduledFor).toBe(now + 60_000);
    const b = await k.submit(p, {}, { at: new Date(now + 60_000).toISOString() });
    expect(b.scheduledFor).toBe(now + 60_000);
    const c = await k.submit(p, {}, { at: "200ms" });
    expect(c.scheduledFor).toBeGreaterThanOrEqual(now + 200);
    expect(c.scheduledFor).toBeLessThan(now + 200 + 5000);
  });
});

describe("submit validation", () => {
  it("refuses an unknown pipeline name, listing the known ones", async () => {
    const p = pipeline("known-one", [step("s", () => 1)]);
    const q = pipeline("known-two", [step("s", () => 2)]);
    const k = h.make({ pipelines: [q, p] });
    const error = await k.submit("nope", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      name: "UnknownPipelineError",
      code: "unknown_pipeline",
      details: { pipeline: "nope", known: ["known-one", "known-two"] },
    });
    expect((error as Error).message).toContain('unknown pipeline "nope"');
    expect((error as Error).message).toContain("known pipelines: known-one, known-two");
    expect((await k.list()).runs).toEqual([]);
  });

  it("finds a pipeline by name when only the store knows it (registered by a node elsewhere)", async () => {
    const p = pipeline("stored-only", [step("s", () => 1)]);
    const node = await h.start({ pipelines: [p] });
    const client = h.make();
    const run = await client.submit("stored-only", {});
    expect(run).toMatchObject({
      pipeline: "stored-only",
      pipelineVersion: p.version,
      created: true,
    });
    expect((await node.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
  });

  const badInputs: [string, () => unknown, string, RegExp][] = [
    ["a function", () => ({ cb: () => 1 }), "$.cb", /a function at \$\.cb/],
    ["a BigInt", () => ({ list: [1, 2n] }), "$.list[1]", /a BigInt .*at \$\.list\[1\]/],
    [
      "a circular reference",
      () => {
        const o: Record<string, unknown> = { a: {} };
        (o.a as Record<string, unknown>).back = o;
        return o;
      },
      "$.a.back",
      /a circular reference at \$\.a\.back/,
    ],
    ["a non-finite number", () => ({ x: Number.NaN }), "$.x", /non-finite number/],
  ];

  for (const [what, make, path, message] of badInputs) {
    it(`refuses input with ${what}, naming the path, and stores nothing`, async () => {
      const p = pipeline("input-check", [step("s", () => 1)]);
      const k = h.make({ pipelines: [p] });
      await k.submit(p, { fine: true });
      const before = (await k.list()).runs.map((r) => r.id);

      const error = await k.submit(p, make() as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeelError);
      expect(error).toMatchObject({
        name: "InvalidInputError",
        code: "invalid_input",
        details: { path },
      });
      expect((error as Error).message).toMatch(/run input is not JSON data/);
      expect((error as Error).message).toMatch(message);
      expect((await k.list()).runs.map((r) => r.id)).toEqual(before);
    });
  }

  it("stores none of a batch when one input is bad, and names its index", async () => {
    const p = pipeline("batch-check", [step("s", () => 1)]);
    const k = h.make({ pipelines: [p] });
    const error = await k
      .submitMany(p, [{ ok: 1 }, { ok: 2 }, { bad: () => 1 }] as never[])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "invalid_input", details: { path: "$.bad" } });
    expect((error as Error).message).toContain("input #2");
    expect((await k.list()).runs).toEqual([]);
  });

  const badOptions: [string, SubmitOptions, string][] = [
    ["a fractional priority", { priority: 1.5 }, "priority"],
    ["a huge priority", { priority: 2_000_000 }, "priority"],
    ["a NaN priority", { priority: Number.NaN }, "priority"],
    ["a string priority", { priority: "5" as unknown as number }, "priority"],
    ["an empty idempotencyKey", { idempotencyKey: "" }, "idempotencyKey"],
    ["a long idempotencyKey", { idempotencyKey: "k".repeat(257) }, "idempotencyKey"],
    ["a numeric idempotencyKey", { idempotencyKey: 42 as unknown as string }, "idempotencyKey"],
    ["an invalid Date", { at: new Date("nonsense") }, "at"],
    ["a negative at", { at: -1 }, "at"],
    ["an infinite at", { at: Number.POSITIVE_INFINITY }, "at"],
    ["an unparseable at", { at: "next tuesday" }, "at"],
    ["an impossible calendar day", { at: "2026-02-30T10:00:00Z" }, "at"],
  ];

  for (const [what, options, field] of badOptions) {
    it(`refuses ${what}, naming the field ${field}`, async () => {
      const p = pipeline("options-check", [step("s", () => 1)]);
      const k = h.make({ pipelines: [p] });
      const error = await k.submit(p, {}, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeelError);
      expect(error).toMatchObject({
        name: "InvalidInputError",
        code: "invalid_input",
        details: { field },
      });
      expect((error as Error).message).toContain(field);
      expect((await k.list()).runs).toEqual([]);
    });
  }
});

describe("wait()", () => {
  it("times out with wait_timeout while the run is not finished", async () => {
    const p = pipeline("never-started", [step("s", () => 1)]);
    const k = h.make({ pipelines: [p] }); // not started: the run stays pending
    const run = await k.submit(p, {});
    const started = Date.now();
    const error = await k.wait(run.id, { timeoutMs: 100, pollMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({
      code: "wait_timeout",
      details: { runId: run.id, status: "pending" },
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails with not_found for an unknown run", async () => {
    const k = h.make();
    await expect(k.wait("run_missing", { timeoutMs: 100 })).rejects.toMatchObject({
      code: "not_found",
    });
  });
});
