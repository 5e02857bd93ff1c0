import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv } from "./keel-cli.js";
import { checkedBlocks, type Block } from "./doc-blocks.js";
import { keelBin } from "./node-process.js";

/**
 * The doc test for shell: every `sh` and `bash` block of README.md and docs/ not marked `norun`
 * runs in bash (`set -e -o pipefail`: every command must succeed) against this checkout's keel,
 * in a fresh home: HOME and the working directory a new folder, KEEL_HOME its `.keel`, no node
 * running. A block that needs more (a server elsewhere, systemd, a run id) says `sh norun <why>`
 * (scripts/check-markdown.mjs wants the why). docs/runbooks/ is left to test/runbooks/, which
 * runs each page against its fault. Needs `npm run build`.
 */
const shellBlocks = (blocks: Block[]) =>
  blocks.filter((b) => ["sh", "bash"].includes(b.language) && !b.file.startsWith("docs/runbooks/"));

/** a `keel` on PATH that is this checkout's bin/keel.js */
const shim = mkdtempSync(join(tmpdir(), "keel-doc-shim-"));
writeFileSync(join(shim, "keel"), `#!/bin/sh\nexec "${process.execPath}" "${keelBin}" "$@"\n`);
chmodSync(join(shim, "keel"), 0o755);

interface Ran {
  block: Block;
  code: number | null;
  output: string;
}

function run(block: Block): Promise<Ran> {
  const home = mkdtempSync(join(tmpdir(), "keel-doc-sh-"));
  mkdirSync(join(home, ".keel"));
  return new Promise((resolve) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", block.body], {
      cwd: home,
      env: cliEnv({
        HOME: home,
        KEEL_HOME: join(home, ".keel"),
        KEEL_CONFIG: "",
        KEEL_TOKEN: "",
        PATH: `${shim}:${process.env.PATH}`,
      }),
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => {
      if (code === 0) rmSync(home, { recursive: true, force: true });
      resolve({ block, code, output: code === 0 ? "" : `${output}\n(home kept: ${home})` });
    });
  });
}

/** runs the blocks `width` at a time: each is mostly waiting on its keel processes */
async function runAll(blocks: Block[], width: number): Promise<Ran[]> {
  const results: Ran[] = [];
  const queue = [...blocks];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) results.push(await run(b));
    }),
  );
  return results;
}

describe("the shell blocks of README.md and docs/", () => {
  it("run in a fresh home and exit 0", async () => {
    const blocks = shellBlocks(checkedBlocks());
    expect(blocks.length).toBeGreaterThan(10);
    const failed = (await runAll(blocks, 3)).filter((r) => r.code !== 0);
    expect(
      failed.map(
        (r) => `${r.block.where}: exit ${r.code}\n${r.block.body}\n--- output:\n${r.output}`,
      ),
    ).toEqual([]);
  }, 300_000);
});
