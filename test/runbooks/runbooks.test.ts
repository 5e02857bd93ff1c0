import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cliEnv } from "../integration/keel-cli.js";
import { keelBin } from "../integration/node-process.js";
import { matchOutput, readRunbook } from "./runbook-page.js";
import { scenarios } from "./scenarios.js";

/**
 * Every `sh` block of docs/runbooks/*.md runs against a live home with the page's fault injected
 * for real; its exit code and output are checked against the page (docs/runbooks/README.md says
 * how). A runbook command that no longer works, or says something else, fails here.
 */
const dir = fileURLToPath(new URL("../../docs/runbooks/", import.meta.url));
const pages = readdirSync(dir)
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .sort();

/** a `keel` on PATH that is this checkout's bin/keel.js */
const shim = mkdtempSync(join(tmpdir(), "keel-shim-"));
writeFileSync(join(shim, "keel"), `#!/bin/sh\nexec "${process.execPath}" "${keelBin}" "$@"\n`);
chmodSync(join(shim, "keel"), 0o755);

describe("runbooks", () => {
  it("has a page per scenario, each naming a scenario the runner knows", () => {
    expect(pages.length).toBeGreaterThanOrEqual(9);
    for (const page of pages)
      expect(Object.keys(scenarios)).toContain(readRunbook(join(dir, page)).scenario);
  });

  for (const page of pages)
    it(`docs/runbooks/${page}`, async (t) => {
      const runbook = readRunbook(join(dir, page));
      const scenario = await scenarios[runbook.scenario]!();
      try {
        if (scenario.skip) t.skip(scenario.skip);
        for (const step of runbook.steps) {
          if (step.clearFault) await scenario.clearFault();
          const result = spawnSync("sh", ["-c", step.script], {
            cwd: scenario.home,
            encoding: "utf8",
            timeout: 120_000,
            env: cliEnv({ ...scenario.env, PATH: `${shim}:${process.env.PATH}` }),
          });
          const output = `${result.stdout}${result.stderr}`;
          const where = `${page}:${step.line}\n$ ${step.script}\n${output}`;
          expect(result.status, where).toBe(step.exitCode);
          if (step.expected) expect(matchOutput(step.expected, output), where).toBeNull();
        }
      } finally {
        await scenario.cleanup();
      }
    }, 240_000);
});
