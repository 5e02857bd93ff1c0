// `keel health check breakers` on a half-open breaker with no traffic: once its dependency
// answered (its probe succeeded, or a trial did), the breaker waits only for trial requests; a
// node with nothing to send is not degraded for that. A half-open breaker whose trial has not
// answered yet still is.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { keelCli } from "./keel-cli.js";

const policy = { failureThreshold: 1, recoveryTimeoutMs: 60_000, halfOpenRequests: 3 };

async function halfOpen(home: string, how: "probe" | "trial_ok" | "trial_pending"): Promise<void> {
  const store = openStore({ home });
  try {
    const now = Date.now();
    await store.upsertBreakers([{ name: "ext", ...policy, probe: how === "probe" }], "test", now);
    const failure = { kind: "failure", code: "error", message: "ext answered 503" } as const;
    await store.signalBreaker("ext", failure, "node-a", now);
    if (how === "probe") await store.signalBreaker("ext", { kind: "probe_ok" }, "node-a", now + 1);
    else {
      // without a probe, the first step after the backoff is the trial that half-opens it
      const trial = await store.signalBreaker("ext", { kind: "trial" }, "node-a", now + 1001);
      expect(trial.granted).toBe(true);
      if (how === "trial_ok")
        await store.signalBreaker("ext", { kind: "success" }, "node-a", now + 1002);
    }
    expect((await store.getBreaker("ext"))?.state).toBe("half_open");
  } finally {
    await store.close();
  }
}

function breakersHealth(home: string): { code: number | null; health: Record<string, unknown> } {
  const result = keelCli(home, ["health", "check", "breakers", "--format", "json"]);
  const doc = JSON.parse(result.stdout) as { components: Record<string, unknown>[] };
  return { code: result.code, health: doc.components[0] ?? {} };
}

describe("keel health check breakers", () => {
  it("a half-open breaker whose probe succeeded is healthy with a note while no trial comes", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-health-breakers-"));
    await halfOpen(home, "probe");
    const { code, health } = breakersHealth(home);
    expect(health).toMatchObject({ status: "healthy" });
    expect(String(health.reason)).toMatch(/ext is half-open: its probe succeeded/);
    expect(code).toBe(0);
  });

  it("so is one whose trial succeeded; one whose trial has not answered is degraded", async () => {
    const ok = mkdtempSync(join(tmpdir(), "keel-health-breakers-"));
    await halfOpen(ok, "trial_ok");
    const good = breakersHealth(ok);
    expect(good.health).toMatchObject({ status: "healthy" });
    expect(String(good.health.reason)).toMatch(/1 of 3 trial requests succeeded/);
    expect(good.code).toBe(0);

    const waiting = mkdtempSync(join(tmpdir(), "keel-health-breakers-"));
    await halfOpen(waiting, "trial_pending");
    const pending = breakersHealth(waiting);
    expect(pending.health).toMatchObject({ status: "degraded" });
    expect(String(pending.health.reason)).toMatch(/ext is half-open/);
    expect(pending.code).toBe(1);
  });
});
