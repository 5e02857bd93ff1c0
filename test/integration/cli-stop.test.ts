// `keel stop --force` and a second SIGINT under `keel start --foreground` abort the steps in
// flight (ctx.signal fires), give their runs back to pending without spending an attempt, and
// the node exits within about a second, however long the step would still have run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson } from "./keel-cli.js";
import { startNode, useNodes, writeConfig, type NodeProcess } from "./node-process.js";

const fixture = fileURLToPath(new URL("./fixtures/slow-pipelines.mjs", import.meta.url));
const children = useNodes();

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A node running the 20 s step of one run: its home, effects log and the run's id. */
async function nodeInSlowStep(): Promise<{
  home: string;
  effects: string;
  node: NodeProcess;
  runId: string;
}> {
  const home = mkdtempSync(join(tmpdir(), "keel-cli-stop-"));
  const effects = join(home, "effects.log");
  const env = { KEEL_TEST_EFFECTS: effects, KEEL_SERVER_PORT: "0" };
  const node = startNode(home, writeConfig(home, [fixture]), env);
  children.push(node);
  await node.ready;
  const run = keelJson(home, ["submit", "slow", "--input", "{}"], env);
  await waitUntil(
    () => existsSync(effects) && readFileSync(effects, "utf8").includes(`start ${run.id}`),
    20_000,
  );
  return { home, effects, node, runId: run.id as string };
}

function expectGivenBack(home: string, effects: string, runId: string): void {
  expect(readFileSync(effects, "utf8")).toContain(`aborted ${runId}`);
  const shown = keelJson(home, ["jobs", "show", runId]);
  expect(shown.status).toBe("pending");
  expect(shown.attempts).toBe(0);
  const reasons = (shown.transitions as { to: string; reason: string | null }[]).map(
    (t) => t.reason,
  );
  expect(reasons).toContain("node_stopping");
  expect(JSON.stringify(shown.steps ?? [])).not.toMatch(/"status":"failed"/);
}

describe("keel stop --force", () => {
  it("aborts a 20 s step within about a second; the run is pending again, no attempt spent", async () => {
    const { home, effects, node, runId } = await nodeInSlowStep();
    const started = Date.now();
    const stop = keelCli(home, ["stop", "--force", "--format", "json"]);
    const ms = Date.now() - started;
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ stopped: true, forced: true });
    expect(ms).toBeLessThan(5_000);
    expect(await node.exited).toBe(0);
    expectGivenBack(home, effects, runId);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);
});

describe("keel start --foreground, Ctrl-C twice", () => {
  it("the second SIGINT aborts the step in flight; the node exits and the run is pending", async () => {
    const { home, effects, node, runId } = await nodeInSlowStep();
    const started = Date.now();
    node.child.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 200));
    node.child.kill("SIGINT");
    expect(await node.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expectGivenBack(home, effects, runId);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);
});
