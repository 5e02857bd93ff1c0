import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { cliEnv } from "./keel-cli.js";
import { keelBin } from "./node-process.js";

/**
 * The bundled CLI (dist/cli, scripts/bundle-cli.mjs), as the bin runs it: which of keel's files a
 * command loads, recorded by a module hook in the real process.
 */
const root = join(keelBin, "..", "..");

function loadedFiles(home: string, args: string[]): { code: number | null; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "keel-cli-bundle-"));
  const log = join(dir, "loaded.txt");
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + "\\n");
  return next(url, context);
}
`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";
register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});
`,
  );
  const result = spawnSync(
    process.execPath,
    ["--import", pathToFileURL(join(dir, "register.mjs")).href, keelBin, "--home", home, ...args],
    { env: cliEnv({}), encoding: "utf8", timeout: 60_000, cwd: home },
  );
  expect(result.status, result.stderr).toBe(0);
  const files = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
  return { code: result.status, files };
}

const under = (files: string[], folder: string) =>
  files.filter((url) => url.startsWith(pathToFileURL(join(root, folder)).href + "/"));

describe("the bundled CLI", () => {
  it("runs a read on the bundle alone: none of keel's unbundled modules, far fewer files", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-bundle-home-"));
    // a fresh home: the store is created by the migrations the bundle finds beside dist/src
    const { files } = loadedFiles(home, ["jobs", "list", "--format", "json"]);
    expect(under(files, "dist/src")).toEqual([]);
    const chunks = under(files, "dist/cli");
    expect(chunks.length).toBeGreaterThan(1);
    // the unbundled tree loads over 300 of keel's and zod's modules for the same command
    expect(chunks.length).toBeLessThan(150);
    expect(existsSync(join(home, "keel.db"))).toBe(true);
  });

  it("runs a command that runs pipeline code on keel's own modules, where pipelines import them", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-bundle-home-"));
    const { files } = loadedFiles(home, ["start", "--help"]);
    expect(under(files, "dist/cli")).toContain(pathToFileURL(join(root, "dist/cli/main.js")).href);
    expect(under(files, "dist/src")).toContain(
      pathToFileURL(join(root, "dist/src/cli/main.js")).href,
    );
    expect(under(files, "dist/src")).toContain(
      pathToFileURL(join(root, "dist/src/cli/commands/start.js")).href,
    );
  });
});
