import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { alive } from "../engine/isolation-helpers.js";
import { keelCli } from "./keel-cli.js";
import { startNode, writeConfig, type NodeProcess } from "./node-process.js";

/**
 * `keel start` with a pipeline module from keel.yaml whose step is isolated (no `module` option:
 * the config's path stands in), and `keel status --verbose` listing the node's worker pids.
 */
const fixture = fileURLToPath(new URL("./fixtures/isolated-config-pipelines.mjs", import.meta.url));
const nodes: NodeProcess[] = [];

afterEach(() => {
  for (const node of nodes.splice(0))
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
});

describe("isolated steps under keel start", () => {
  it("runs a config module's isolated step in a worker process; status --verbose lists its pid", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-isolation-"));
    const config = writeConfig(home, [fixture]);
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;

    const submitted = keelCli(home, [
      "--config",
      config,
      "submit",
      "via-config",
      "--input",
      "{}",
      "--wait",
      "--format",
      "json",
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const run = JSON.parse(submitted.stdout) as {
      status: string;
      output: { where: { pid: number; ppid: number } };
    };
    expect(run.status).toBe("succeeded");
    const { pid, ppid } = run.output.where;
    expect(ppid).toBe(node.child.pid);

    const json = keelCli(home, ["--config", config, "status", "--verbose", "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as {
      workers: { pids: number[]; processes: { pid: number; busy: boolean }[] };
    };
    expect(status.workers.pids).toEqual([pid]);
    expect(status.workers.processes).toEqual([
      { pid, state: "idle", busy: false, run_id: null, step: null },
    ]);

    const table = keelCli(home, ["--config", config, "status", "--verbose"]);
    expect(table.stdout).toMatch(new RegExp(`worker pids\\s+${pid}`));
    // without --verbose, no call to the node for its workers
    expect(keelCli(home, ["--config", config, "status"]).stdout).not.toMatch(/worker pids/);

    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    expect(alive(pid)).toBe(false);
  });
});
