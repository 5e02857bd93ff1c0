import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startNode, useNodes, writeConfig } from "./node-process.js";
import { keelCli, keelJson } from "./keel-cli.js";

/**
 * Pipeline modules as their authors write them: a `.ts` module loads with a plain `keel start`
 * (Node's type stripping where it has it, tsx otherwise), and commands that only read never
 * import pipeline code at all.
 */
const typed = fileURLToPath(new URL("./fixtures/typed-pipelines.ts", import.meta.url));
const throwing = fileURLToPath(new URL("./fixtures/throwing-pipelines.mjs", import.meta.url));
const nodes = useNodes();

describe("pipeline modules", () => {
  it("keel start runs a .ts module as it is, its isolated step included", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-ts-module-"));
    const config = writeConfig(home, [typed]);
    // no loader in the environment: keel registers one itself when this Node needs it
    const node = startNode(home, config, { NODE_OPTIONS: "" });
    nodes.push(node);
    await node.ready;
    const done = keelJson(home, [
      "--config",
      config,
      "submit",
      "greeting",
      "--input",
      '{"name":"ada"}',
      "--wait",
    ]);
    expect(done).toMatchObject({ status: "succeeded", output: { shout: { text: "HELLO ADA" } } });
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  }, 60_000);

  it("read-only commands work while a configured module throws on import", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-readonly-"));
    const config = writeConfig(home, [throwing]);
    for (const args of [
      ["jobs", "list"],
      ["quarantine", "list"],
      ["audit", "list"],
      ["status"],
      ["sources", "list"],
      ["breakers", "list"],
      ["events", "tail"],
      ["telemetry", "throughput"],
    ]) {
      const result = keelCli(home, ["--config", config, ...args]);
      expect(result.stderr, args.join(" ")).not.toMatch(/must not be imported/);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
    }
    // these answer with a non-zero code here (no run by that id; no node running): not the module
    for (const args of [["health"], ["jobs", "show", "run_missing"]])
      expect(keelCli(home, ["--config", config, ...args]).stderr).not.toMatch(
        /must not be imported/,
      );
    // a change does import it, and says which module failed
    const submit = keelCli(home, ["--config", config, "submit", "x", "--input", "{}"]);
    expect(submit.code).toBe(2);
    expect(submit.stderr).toMatch(/throwing-pipelines\.mjs failed to load/);
  }, 120_000);
});
