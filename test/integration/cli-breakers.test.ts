import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";

/**
 * `keel breakers` as an operator runs it, beside a background node: trip a dependency's breaker,
 * watch the step's fallback serve (a degraded checkpoint) and health go degraded, reset it, and
 * redo the degraded step with `keel jobs retry --degraded`.
 */
const fixture = fileURLToPath(new URL("./fixtures/breaker-pipelines.mjs", import.meta.url));

function json(home: string, args: string[]) {
  const result = keelCli(home, [...args, "--format", "json"]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}

describe("keel breakers", () => {
  it("trips with a reason, serves the fallback, resets, redoes degraded steps, all audited", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-breakers-"));
    writeConfig(home, [fixture], "breakers:\n  embedding-api:\n    failure_threshold: 3\n");
    expect(json(home, ["breakers", "list"])).toEqual({ breakers: [] });

    const missing = keelCli(home, ["breakers", "trip", "embedding-api"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--reason/);
    const ghost = keelCli(home, ["breakers", "trip", "ghost", "--reason", "x"]);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/breaker "ghost" not found; known breakers: embedding-api/);

    const tripped = json(home, ["breakers", "trip", "embedding-api", "--reason", "vendor outage"]);
    expect(tripped).toMatchObject({
      name: "embedding-api",
      state: "open",
      manual: true,
      failure_threshold: 3,
      half_open_requests: 3,
      woken: 0,
      history: [{ from: "closed", to: "open", reason: "operator_trip" }],
    });
    expect(tripped.reason).toMatch(/^tripped by cli:.+: vendor outage$/);
    expect(keelCli(home, ["breakers", "list"]).stdout).toMatch(/embedding-api\s+open \(tripped\)/);
    const sick = keelCli(home, ["health", "check", "breakers", "--format", "json"]);
    expect(sick.code).toBe(1);
    expect(JSON.parse(sick.stdout).components[0].reason).toMatch(/embedding-api is open/);

    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
    try {
      const run = json(home, ["submit", "embed-docs", "--input", '{"text":"hello"}', "--wait"]);
      expect(run).toMatchObject({ status: "succeeded", output: { index: { dims: 0 } } });
      const shown = json(home, ["jobs", "show", run.id]);
      expect(
        shown.steps.map((s: { step: string; degraded: boolean }) => [s.step, s.degraded]),
      ).toEqual([
        ["fetch", false],
        ["embed", true],
        ["index", false],
      ]);

      const reset = json(home, ["breakers", "reset", "embedding-api", "--note", "vendor is back"]);
      expect(reset).toMatchObject({ state: "closed", manual: false });
      expect(reset.history[0]).toMatchObject({ to: "closed", reason: "operator_reset" });
      expect(keelCli(home, ["health", "check", "breakers"]).code).toBe(0);

      const retried = json(home, [
        "jobs",
        "retry",
        run.id,
        "--degraded",
        "--note",
        "vendor is back",
      ]);
      expect(retried.retry).toMatchObject({ cleared: ["embed", "index"], redo_degraded: true });
      const deadline = Date.now() + 30_000;
      let redone = json(home, ["jobs", "show", run.id]);
      while (redone.status !== "succeeded" && Date.now() < deadline)
        redone = json(home, ["jobs", "show", run.id]);
      expect(redone.output).toEqual({ index: { dims: 2 } });
      expect(redone.steps.some((s: { degraded: boolean }) => s.degraded)).toBe(false);
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }
    // (the node's start also created its admin token: token.create by keel)
    const audit = json(home, ["audit", "list"]);
    const changes = audit.entries.filter((e: { action: string }) => e.action !== "token.create");
    expect(changes.map((e: { action: string }) => e.action)).toEqual([
      "run.retry",
      "breaker.reset",
      "breaker.trip",
    ]);
    for (const e of changes) expect(e.actor).toMatch(/^(token:admin\/)?cli:/);
  }, 120_000);
});
