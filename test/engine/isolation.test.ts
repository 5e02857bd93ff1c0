// Process isolation with real child processes and real signals: an isolated step runs in a child
// of the node's pool; a child's death fails only that attempt (worker_crashed), a run that keeps
// killing its worker is quarantined as poison, a child that outlives its step's timeout is killed,
// and no child outlives its node.
import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { pipeline, step, type Keel } from "../../src/index.js";
import { describeTransitions, until, useHarness } from "./helpers.js";
import { alive, busyWorker, loadIsolatedFixtures } from "./isolation-helpers.js";

const h = useHarness();
const fx = await loadIsolatedFixtures();
const pipelines = Object.values(fx);

function failures(k: Keel, runId: string) {
  return k
    .inspect(runId)
    .then(({ transitions }) => transitions.filter((t) => t.step !== null && t.to === "failed"));
}

describe("isolation: process", () => {
  it("runs the step in a child with the inline context; one checkpoint; logs and progress reach the node", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n"))
          if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: "info" }, sink);
    const k = await h.start({ pipelines, logger });
    const progress: number[] = [];
    k.on("progress", (e) => progress.push(e.bytes));
    const run = await k.submit(fx.isolatedEcho, { n: 2 });
    const done = await k.wait(run.id, { timeoutMs: 10_000 });

    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ inline: { n: 5, pid: process.pid } });
    const { steps } = await k.inspect(run.id);
    expect(steps.map((s) => s.step)).toEqual(["describe", "inline"]);
    const child = steps[0]?.output as { pid: number; ctx: Record<string, unknown> };
    expect(child.pid).not.toBe(process.pid);
    expect(child.ctx).toEqual({
      runId: run.id,
      traceId: run.traceId,
      traceparent: expect.stringMatching(new RegExp(`^00-${run.traceId}-[0-9a-f]{16}-00$`)),
      pipeline: "isolated-echo",
      step: "describe",
      attempt: 1,
      seed: run.seed,
      runInput: { n: 2 },
    });
    // kept warm for the next isolated step
    expect(k.workerProcesses).toEqual([
      { pid: child.pid, state: "idle", busy: false, runId: null, step: null },
    ]);
    expect(k.workerPids).toEqual([child.pid]);
    expect(progress).toEqual([3]);
    // a report made in the child is stored like an inline one
    expect(await k.store.listProgress(run.id)).toEqual([
      expect.objectContaining({ step: "describe", attempt: 1, done: 1, total: 2, message: "half" }),
    ]);
    await until(() => lines.some((l) => l.msg === "hello from the child"));
    expect(lines.find((l) => l.msg === "hello from the child")).toMatchObject({
      runId: run.id,
      traceId: run.traceId,
      step: "describe",
      attempt: 1,
      n: 2,
    });
  });

  it("refuses at registration an isolated step whose pipeline names no module", () => {
    const p = pipeline("no-module", [step("s", { isolation: "process" }, () => 1)]);
    expect(() => h.make({ pipelines: [p] })).toThrow(
      /pipeline "no-module": step "s" runs with isolation: "process".*\{ module: import\.meta\.url \}/,
    );
    const perPipeline = pipeline("no-module-2", [step("s", () => 1)], { isolation: "process" });
    expect(() => h.make().register(perPipeline)).toThrow(/pipeline "no-module-2"/);
    expect(() => step("s", { isolation: "thread" as never }, () => 1)).toThrow(
      /isolation "thread"; use "inline" or "process"/,
    );
    expect(() => pipeline("rel", [step("s", () => 1)], { module: "./pipelines.js" })).toThrow(
      /module must be a file: URL or an absolute path/,
    );
  });

  it("a SIGKILLed child fails only its attempt (worker_crashed); the pool respawns and the run succeeds on retry", async () => {
    const k = await h.start({ pipelines, concurrency: 2 });
    const victim = await k.submit(fx.isolatedSlow, { ms: 30_000 });
    const bystander = await k.submit(fx.isolatedSlow, { ms: 800 });
    const pid = await busyWorker(k, victim.id);
    await busyWorker(k, bystander.id);
    process.kill(pid, "SIGKILL");

    const done = await k.wait(victim.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("succeeded");
    const output = done.output as { slow: { attempt: number; pid: number } };
    expect(output.slow.attempt).toBe(2);
    expect(output.slow.pid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    expect(done.attempts).toBe(1);
    const failed = await failures(k, victim.id);
    expect(failed.map((t) => t.reason)).toEqual(["worker_crashed"]);
    expect(failed[0]?.details).toMatchObject({ attempt: 1 });
    expect(String((failed[0]?.details as { message: string }).message)).toMatch(
      new RegExp(`pid ${pid}.*signal SIGKILL`),
    );
    const { transitions } = await k.inspect(victim.id);
    expect(describeTransitions(transitions)).toContain("run:running->pending:retry_scheduled");

    // the other child's run never noticed
    const other = await k.wait(bystander.id, { timeoutMs: 10_000 });
    expect(other.status).toBe("succeeded");
    expect(other.attempts).toBe(0);
  });

  it("a step that kills its process every time is quarantined as poison after poison_after crashes", async () => {
    const k = await h.start({
      pipelines,
      isolation: { poisonAfter: 2 },
      retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20 },
    });
    const run = await k.submit(fx.isolatedExit, {});
    const done = await k.wait(run.id, { timeoutMs: 15_000 });
    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("poison");
    expect(done.attempts).toBe(2);
    expect(done.error).toMatchObject({ code: "worker_crashed", step: "exit" });
    expect(done.error?.message).toMatch(/exit code 1/);
    expect((await failures(k, run.id)).map((t) => t.reason)).toEqual([
      "worker_crashed",
      "worker_crashed",
    ]);
    // the pool is still there for the next run
    const next = await k.submit(fx.isolatedEcho, { n: 1 });
    expect((await k.wait(next.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
  });

  it("an operator retry of a poisoned run starts its crash count from zero", async () => {
    const k = await h.start({ pipelines, isolation: { poisonAfter: 1 } });
    const run = await k.submit(fx.isolatedExit, {});
    expect((await k.wait(run.id, { timeoutMs: 10_000 })).quarantineReason).toBe("poison");
    await k.retry(run.id, { note: "still crashing?" });
    const again = await k.wait(run.id, { timeoutMs: 10_000 });
    expect(again.quarantineReason).toBe("poison");
    expect(again.attempts).toBe(2);
  });

  it("a child that ignores its abort past the step timeout is killed; the run quarantines as timeout", async () => {
    const k = await h.start({ pipelines, isolation: { killGraceMs: 200 } });
    const run = await k.submit(fx.isolatedStubborn, {});
    const pid = await busyWorker(k, run.id);
    const done = await k.wait(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("timeout");
    expect(done.error).toMatchObject({ code: "timeout" });
    await until(() => !alive(pid) && !k.workerPids.includes(pid), {
      message: `child ${pid} killed after the grace`,
    });
    // and replaced on the next need
    const next = await k.submit(fx.isolatedEcho, { n: 1 });
    expect((await k.wait(next.id, { timeoutMs: 10_000 })).status).toBe("succeeded");
    expect(k.workerPids).toHaveLength(1);
  });

  it("a PermanentError thrown in a child quarantines as permanent:<code>; the child lives on", async () => {
    const k = await h.start({ pipelines });
    const run = await k.submit(fx.isolatedPermanent, {});
    const done = await k.wait(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("permanent:parse_error");
    expect(done.error).toMatchObject({
      code: "parse_error",
      message: "this document is not a CSV file",
      retryable: false,
    });
    expect(done.attempts).toBe(1);
    const [child] = k.workerProcesses;
    expect(child).toMatchObject({ busy: false });
    expect(alive(child?.pid as number)).toBe(true);
  });

  it("stop({ force: true }) kills every child at once: none is left alive", async () => {
    const k = await h.start({ pipelines, concurrency: 3 });
    const runs = await Promise.all([1, 2].map(() => k.submit(fx.isolatedSlow, { ms: 30_000 })));
    const pids = await Promise.all(runs.map((r) => busyWorker(k, r.id)));
    const started = Date.now();
    await k.stop({ force: true });
    expect(Date.now() - started).toBeLessThan(2000);
    for (const pid of pids) expect(alive(pid), `child ${pid}`).toBe(false);
    const reader = h.make();
    for (const r of runs) expect((await reader.get(r.id))?.status).toBe("pending");
  });

  it("a graceful stop waits for a busy child's step, then lets its children go", async () => {
    const k = await h.start({ pipelines });
    const run = await k.submit(fx.isolatedSlow, { ms: 300 });
    const pid = await busyWorker(k, run.id);
    await k.stop();
    expect(alive(pid)).toBe(false);
    expect((await h.make().get(run.id))?.status).toBe("succeeded");
  });

  it("a child never outlives its node, even a node killed with SIGKILL", async () => {
    const node = spawn(
      process.execPath,
      [new URL("./fixtures/isolated-node.mjs", import.meta.url).pathname, h.home],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, KEEL_LOG_LEVEL: "silent" } },
    );
    h.onCleanup(() => node.kill("SIGKILL"));
    let out = "";
    node.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const line = await until(() => out.split("\n").find((l) => l.startsWith("{")), {
      timeoutMs: 15_000,
      message: "the node printed its busy child's pid",
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(alive(pid)).toBe(true);
    node.kill("SIGKILL");
    await until(() => !alive(pid), { message: `child ${pid} gone after its node was killed` });
  });
});
