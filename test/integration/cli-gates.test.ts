import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cliEnv, keelCli, keelJson } from "./keel-cli.js";
import { keelBin, startNode, useNodes, writeConfig } from "./node-process.js";

/**
 * `keel gates` with a real `keel start --foreground` node: runs wait at an approval gate, survive
 * the node's SIGKILL and restart with the gate still open, and go on (approved, the decision in
 * the next step's input), or into quarantine (rejected, or timed out by policy). A viewer token
 * may not decide; two operators deciding at once record one decision.
 */
const fixture = fileURLToPath(new URL("./fixtures/gate-pipelines.mjs", import.meta.url));
const nodes = useNodes();

interface GateRow {
  run: string;
  gate: string;
  pipeline: string;
  opened_at: string;
  timeout_at: string;
}

async function until<T>(check: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function openGates(home: string): GateRow[] {
  return (keelJson(home, ["gates", "list"]) as { gates: GateRow[] }).gates;
}

function settled(home: string, id: string) {
  return until(() => {
    const run = keelJson(home, ["jobs", "show", id]);
    return ["succeeded", "quarantined"].includes(run.status) ? run : undefined;
  }, `run ${id} to end`);
}

/** the CLI, asynchronously: for two decisions sent at the same moment */
function cliAsync(home: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [keelBin, "--home", home, ...args], {
      env: cliEnv({}),
      cwd: home,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => resolve({ code, stderr }));
  });
}

describe("keel gates with a real node", () => {
  it("waits across a SIGKILL, approves into the next step, rejects into quarantine, races once", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-gates-"));
    try {
      const config = writeConfig(home, [fixture]);
      let node = startNode(home, config);
      nodes.push(node);
      await node.ready;
      const submit = (pipeline: string, title: string): string =>
        keelJson(home, ["submit", pipeline, "--input", JSON.stringify({ title })]).id;
      const toApprove = submit("publish-report", "q3");
      const toReject = submit("publish-report", "q4");
      const raced = submit("publish-report", "q5");
      const timedReject = submit("auto-reject", "a");
      const timedApprove = submit("auto-approve", "b");

      const before = await until(() => {
        const list = openGates(home).filter((g) => g.pipeline === "publish-report");
        return list.length === 3 ? list : undefined;
      }, "three runs at the gate");
      expect(before.map((g) => g.run).sort()).toEqual([toApprove, toReject, raced].sort());
      const table = keelCli(home, ["gates", "list", "--pipeline", "publish-report"]);
      expect(table.stdout).toMatch(/RUN\s+PIPELINE\s+GATE\s+OPENED_AT\s+WAITING_FOR\s+TIMEOUT_AT/);
      expect(table.stdout).toContain(toApprove);
      const shown = keelJson(home, ["jobs", "show", toApprove]);
      expect(shown).toMatchObject({ status: "pending", node_id: null });
      expect(shown.waiting_at_gate).toMatchObject({ gate: "review", status: "open" });
      expect(keelCli(home, ["jobs", "show", toApprove]).stdout).toMatch(
        /waiting\s+at approval gate "review" since/,
      );

      // the timeouts decide by each gate's policy
      const rejectedByTimeout = await settled(home, timedReject);
      expect(rejectedByTimeout).toMatchObject({
        status: "quarantined",
        quarantine_reason: "gate:review",
      });
      expect(rejectedByTimeout.error.message).toContain("rejected by timeout");
      const approvedByTimeout = await settled(home, timedApprove);
      expect(approvedByTimeout.status).toBe("succeeded");
      expect(approvedByTimeout.output.publish.review).toMatchObject({
        approved: true,
        by: "timeout",
        timedOut: true,
      });

      // SIGKILL and restart: the gates are still open, with their first opening
      node.child.kill("SIGKILL");
      await node.exited;
      node = startNode(home, config);
      nodes.push(node);
      await node.ready;
      const kept = (list: GateRow[]) =>
        list.map(({ run, gate, opened_at, timeout_at }) => ({ run, gate, opened_at, timeout_at }));
      const after = openGates(home).filter((g) => g.pipeline === "publish-report");
      expect(kept(after)).toEqual(kept(before));

      // a viewer may look but not decide
      const viewer = keelJson(home, ["tokens", "create", "--role", "viewer", "--name", "v"]).token;
      const refused = keelCli(home, [
        "gates",
        "approve",
        toApprove,
        "review",
        "--note",
        "ok",
        "--token",
        viewer,
      ]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/forbidden/);
      expect(keelCli(home, ["gates", "list", "--token", viewer]).code).toBe(0);

      const approved = keelJson(home, ["gates", "approve", toApprove, "review", "--note", "ok"]);
      expect(approved).toMatchObject({ run: toApprove, status: "approved", note: "ok" });
      const done = await settled(home, toApprove);
      expect(done.status).toBe("succeeded");
      expect(done.output.publish.review).toMatchObject({
        gate: "review",
        approved: true,
        note: "ok",
        timedOut: false,
      });
      expect(done.output.publish.review.by).toMatch(/cli:/);
      const again = keelCli(home, ["gates", "approve", toApprove, "review", "--note", "again"]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/gate_not_open.*already approved/);

      expect(keelCli(home, ["gates", "reject", toReject, "review"]).code).toBe(2);
      keelJson(home, ["gates", "reject", toReject, "review", "--note", "totals are off"]);
      const rejected = await settled(home, toReject);
      expect(rejected).toMatchObject({ status: "quarantined", quarantine_reason: "gate:review" });
      expect(rejected.error.message).toMatch(/rejected by \S*cli:\S+: totals are off/);

      const race = await Promise.all([
        cliAsync(home, ["gates", "approve", raced, "review", "--note", "first"]),
        cliAsync(home, ["gates", "reject", raced, "review", "--note", "second"]),
      ]);
      expect(race.map((r) => r.code).sort()).toEqual([0, 2]);
      const audit = keelJson(home, ["audit", "list", "--limit", "50"]).entries.filter(
        (e: { action: string; target: string }) =>
          e.action.startsWith("gate.") && e.target === raced,
      );
      expect(audit).toHaveLength(1);
      await settled(home, raced);
      expect(openGates(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 180_000);
});
