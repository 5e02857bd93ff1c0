import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { pipeline, step } from "../../src/index.js";
import { doctorContext } from "../../src/ops/doctor/context.js";
import { applyFixes } from "../../src/ops/doctor/fixes.js";
import { runDoctor } from "../../src/ops/doctor/index.js";
import { startDependency, type Dependency } from "../engine/dependency-server.js";
import { until, useHarness } from "../engine/helpers.js";
import { keelCli } from "../integration/keel-cli.js";
import { startNode, useNodes } from "../integration/node-process.js";
import { doctor, findingOf, useHomes, until as waitUntil } from "./helpers.js";

describe("doctor: breakers", () => {
  const newHome = useHomes();
  const nodes = useNodes();
  let server: Server | undefined;
  afterEach(() => void server?.close());

  it("names a breaker opened by a real dependency going down, with the reset command", async () => {
    // a port that answered once, then closed: the dependency is down
    server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const { home, config } = newHome(
      "breakers:\n  dep-api:\n    failure_threshold: 2\n    recovery_timeout_ms: 600000\nretry:\n  base_delay_ms: 10\n  max_delay_ms: 20\n  max_attempts: 50\n",
    );
    const node = startNode(home, config, { KEEL_TEST_DEP_URL: url });
    nodes.push(node);
    await node.ready;
    for (let i = 0; i < 3; i++)
      expect(keelCli(home, ["submit", "call-dep", "--input", "{}", "--config", config]).code).toBe(
        0,
      );
    await waitUntil(() => doctor(home, config, ["--only", "breakers"]).code === 1);
    const f = findingOf(doctor(home, config, ["--only", "breakers"]).report, "breakers");
    expect(f.summary).toMatch(
      /^breaker dep-api is open for .*; runs whose next step uses it wait or fall back$/,
    );
    expect(f.evidence).toMatchObject({ breaker: "dep-api", state: "open", manual: false });
    expect(f.commands).toContain(`keel breakers reset dep-api --home ${home}`);
    expect(f.auto_fix).toBeNull();
  }, 60_000);
});

describe("doctor: breakers --fix", () => {
  const h = useHarness();
  let dep: Dependency | undefined;
  afterEach(() => void dep?.down());

  it("resets a half-open breaker whose probe passed and that no traffic closes, audited", async () => {
    dep = await startDependency();
    const d = dep;
    const call = step(
      "call",
      { uses: ["dep"], fallback: () => ({ cached: true, n: 0 }) },
      async (ctx) => ({ cached: false, n: (await d.call("/x", ctx.signal)).n }),
    );
    const p = pipeline("calls", [call]);
    const k = await h.start({
      pipelines: [p],
      breakers: {
        dep: {
          failureThreshold: 1,
          recoveryTimeoutMs: 600_000,
          probe: async (signal) => void (await d.call("/health", signal)),
          probeIntervalMs: 50,
        },
      },
    });
    await d.down();
    // the fallback ends the runs: once the breaker is open, nothing waits on it
    for (let i = 0; i < 2; i++) await k.wait((await k.submit(p, {})).id, { timeoutMs: 10_000 });
    expect((await k.store.getBreaker("dep"))?.state).toBe("open");
    await d.up();
    await until(async () => (await k.store.getBreaker("dep"))?.state === "half_open", {
      message: "half-open by its probe",
    });
    const ctx = () => doctorContext({ home: h.home, store: k.store });
    const report = await runDoctor(ctx(), ["breakers"]);
    expect(report.findings).toEqual([
      expect.objectContaining({
        summary:
          "breaker dep is half-open: its probe passed, but no trial request has come to close it",
        autoFix: expect.objectContaining({ id: "breaker.reset", target: "dep" }),
      }),
    ]);
    const applied = await applyFixes(report.findings, {
      keel: k,
      home: h.home,
      actor: "cli:test",
      backupKeep: 7,
    });
    expect(applied).toEqual([
      expect.objectContaining({ ok: true, result: "breaker dep reset to closed" }),
    ]);
    expect((await k.store.getBreaker("dep"))?.state).toBe("closed");
    expect((await runDoctor(ctx(), ["breakers"])).findings).toEqual([]);
    const audit = await k.audit({ limit: 10 });
    expect(audit.entries.map((e) => e.action)).toContain("doctor.fix");
  });
});
