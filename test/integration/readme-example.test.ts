import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type * as TS from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The package as a user gets it: `npm pack` of the built repo, installed into a fresh project
 * with `"type": "module"`, where the README's example is type-checked (strict, and with
 * `skipLibCheck: false` so keel's own .d.ts must compile) and run as it stands.
 */
const run = promisify(execFile);
const repo = fileURLToPath(new URL("../..", import.meta.url));
const tsc = path.join(repo, "node_modules", "typescript", "bin", "tsc");
// the repo's TypeScript strips the types for the run, as `node words.ts` would on Node 22.18+
const ts = createRequire(import.meta.url)("typescript") as typeof TS;

// npm's own variables from a surrounding `npm test` would steer the nested npm commands
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")),
);

/** The ```ts blocks of the README's "A pipeline in a dozen lines", verbatim. */
function readmeExample(): string {
  const readme = readFileSync(path.join(repo, "README.md"), "utf8");
  const section = readme.split("## A pipeline in a dozen lines")[1]?.split("\n## ")[0] ?? "";
  const blocks = [...section.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  expect(blocks.length, "a ts block in the README's example section").toBeGreaterThan(0);
  return blocks.join("\n");
}

describe("the README example in a fresh project on the packed package", () => {
  let dir: string;
  let project: string;
  let installed: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "keel-readme-"));
    // the build is npm test's first step; --ignore-scripts keeps pack from building again
    const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], {
      cwd: repo,
      env: cleanEnv,
    });
    const tarball = path.join(dir, packed.stdout.trim().split("\n").pop() ?? "");
    project = path.join(dir, "project");
    mkdirSync(project);
    writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "readme-example", private: true, type: "module" }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], {
      cwd: project,
      env: cleanEnv,
      timeout: 280_000,
    });
    installed = path.join(project, "node_modules", "keel");
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("type-checks under strict with skipLibCheck false, runs, prints what it says, exits", async () => {
    const code = readmeExample();
    writeFileSync(path.join(project, "words.ts"), code);
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          // a Node project has @types/node; the repo's copy spares a second install
          types: ["node"],
          typeRoots: [path.join(repo, "node_modules", "@types")],
        },
        files: ["words.ts"],
      }),
    );
    const checked = await run(process.execPath, [tsc, "-p", project], { cwd: project }).catch(
      (e: { stdout: string }) => ({ stdout: e.stdout, failed: true }),
    );
    expect(checked.stdout).toBe("");

    const js = ts.transpileModule(code, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(path.join(project, "words.js"), js);
    const home = path.join(dir, "home");
    // the timeout kills a script that never stops its node: the README must let it exit
    const out = await run(process.execPath, ["words.js"], {
      cwd: project,
      env: { ...cleanEnv, KEEL_HOME: home, KEEL_STORE: "" },
      timeout: 60_000,
    });
    // what the README's comment on the console.log line says it prints
    const promised = /console\.log\(.*\); \/\/ (.*)$/m.exec(code)?.[1];
    expect(promised).toBeDefined();
    expect(out.stdout.trim()).toBe(promised);
  });

  it("ships a LICENSE", () => {
    expect(readFileSync(path.join(installed, "LICENSE"), "utf8")).toContain("MIT License");
  });

  // a map may carry a source's text instead (the bundled CLI's maps carry their dependencies')
  it("ships the files its source maps point at", () => {
    const maps = (function walk(d: string): string[] {
      return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? walk(path.join(d, e.name))
          : e.name.endsWith(".map")
            ? [path.join(d, e.name)]
            : [],
      );
    })(path.join(installed, "dist"));
    expect(maps.length).toBeGreaterThan(0);
    const missing = maps.flatMap((map) => {
      const { sources, sourcesContent } = JSON.parse(readFileSync(map, "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      return sources
        .filter((_, i) => typeof sourcesContent?.[i] !== "string")
        .map((s) => path.resolve(path.dirname(map), s))
        .filter((s) => !existsSync(s))
        .map((s) => path.relative(installed, s));
    });
    expect(missing).toEqual([]);
  });
});
