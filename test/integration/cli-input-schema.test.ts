import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startNode, useNodes, writeConfig } from "./node-process.js";
import { keelCli, keelJson } from "./keel-cli.js";

/**
 * `keel submit` with an input the pipeline's schema refuses: exit 2, the field and the schema's
 * message on stderr, no run stored. On the store with no node, and through a node's API (400).
 */
const fixture = fileURLToPath(new URL("./fixtures/schema-pipelines.mjs", import.meta.url));
const nodes = useNodes();
const bad = JSON.stringify({ customer: "ada", items: [{ sku: "a", qty: 0 }] });
const good = JSON.stringify({ customer: "ada", items: [{ sku: "a", qty: 2 }] });

function expectRefused(home: string, config: string): void {
  const refused = keelCli(home, ["--config", config, "submit", "orders", "--input", bad]);
  expect(refused.code, refused.stderr).toBe(2);
  expect(refused.stderr).toMatch(/invalid_input/);
  expect(refused.stderr).toMatch(/\$\.items\[0\]\.qty: /);
  const listed = keelJson(home, ["--config", config, "jobs", "list"]);
  expect(listed.runs).toHaveLength(0);
}

describe("keel submit and input schemas", () => {
  it("exits 2 naming the field, with no node and through a node's API", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-schema-"));
    const config = writeConfig(home, [fixture]);
    expectRefused(home, config);
    const node = startNode(home, config);
    nodes.push(node);
    await node.ready;
    expectRefused(home, config);
    const done = keelJson(home, [
      "--config",
      config,
      "submit",
      "orders",
      "--input",
      good,
      "--wait",
    ]);
    expect(done).toMatchObject({ status: "succeeded", output: { total: { units: 2 } } });
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  }, 120_000);
});
