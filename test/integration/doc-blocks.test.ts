import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { allBlocks, checkedBlocks, root } from "./doc-blocks.js";

/**
 * The doc test: every code block of README.md and docs/ that is not `text` or marked `norun`
 * (docs/README.md "Code blocks") is checked against the built keel. `ts` blocks compile under
 * strict TypeScript against the package's declarations and run; `yaml` and `json` parse; `sh` and
 * `bash` (`norun` ones too) pass `bash -n`, and each `keel ...` command in them names commands and
 * flags the CLI has (doc-shell-blocks.test.ts runs them). Needs `npm run build`.
 */
const all = checkedBlocks();
const of = (...languages: string[]) => all.filter((b) => languages.includes(b.language));

/** The tokens of one shell command line: quotes kept together, comments dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'[^']*'|"(?:\\.|[^"])*"|[^\s'"]+/g)) {
    if (m[0].startsWith("#")) break;
    out.push(m[0]);
  }
  return out;
}

/** What is wrong with a `keel ...` command, checked against the commander tree; null if nothing. */
function checkKeelCommand(program: Command, tokens: string[]): string | null {
  let command = program;
  // each flag, and whether it takes a value (the next word, unless given as --flag=value)
  const flags = new Map<string | undefined, boolean>();
  const learn = (c: Command) => {
    for (const o of c.options)
      for (const f of [o.long, o.short]) flags.set(f, o.required || o.optional);
  };
  learn(program);
  let positional = 0;
  let skipValue = false;
  for (const token of tokens) {
    if (skipValue) {
      skipValue = false;
      continue;
    }
    if (token.startsWith("-")) {
      const [flag = "", value] = token.split("=");
      if (!flags.has(flag) && flag !== "--help" && flag !== "-h")
        return `keel ${command.name() === "keel" ? "" : command.name()}: unknown flag ${flag}`;
      skipValue = flags.get(flag) === true && value === undefined;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === token || c.aliases().includes(token));
    if (sub && positional === 0) {
      command = sub;
      learn(sub);
      continue;
    }
    if (command.commands.length > 0 && positional === 0 && !/^[<[$]/.test(token))
      return `keel ${command.name()}: unknown command ${token}`;
    positional += 1;
  }
  return null;
}

describe("the code blocks of README.md and docs/", () => {
  it("finds blocks to check", () => {
    expect(of("ts").length).toBeGreaterThan(0);
    expect(of("sh", "bash").length).toBeGreaterThan(10);
  });

  it("json and yaml blocks parse", () => {
    for (const b of of("json")) expect(() => JSON.parse(b.body), b.where).not.toThrow();
    for (const b of of("yaml")) expect(() => parseYaml(b.body), b.where).not.toThrow();
  });

  it("sh blocks are valid shell and name only commands and flags keel has", async () => {
    const { buildProgram } = (await import(join(root, "dist/src/cli/main.js"))) as {
      buildProgram: () => Promise<Command>;
    };
    const program = await buildProgram();
    // the check itself: a typo in a flag or a command is caught, a flag's value is not a command
    expect(checkKeelCommand(program, ["jobs", "list", "--stauts", "x"])).toMatch(/--stauts/);
    expect(checkKeelCommand(program, ["job", "list"])).toMatch(/unknown command job/);
    expect(checkKeelCommand(program, ["--format", "json", "jobs", "show", "<id>"])).toBeNull();
    const problems: string[] = [];
    // `sh norun` blocks too: a synopsis is not run, but its commands and flags must exist
    for (const b of allBlocks().filter((b) => ["sh", "bash"].includes(b.language))) {
      // a placeholder (`keel jobs show <run-id>`) is a word to the reader, a redirection to bash
      const body = b.body.replace(/<([a-z][\w-]*)>/g, "$1");
      const syntax = spawnSync("bash", ["-n"], { input: body, encoding: "utf8" });
      if (syntax.status !== 0) problems.push(`${b.where}: ${syntax.stderr.trim()}`);
      // continuation lines joined, then each command of a pipeline or list on its own
      for (const line of body.replace(/\\\n/g, " ").split("\n"))
        for (const part of line.split(/&&|\|\||[|;]|\$\(/)) {
          const tokens = words(part.trim());
          const at = tokens.findIndex((t) => /^(keel|\.\/bin\/keel\.js)$/.test(t));
          if (at < 0 || (at > 0 && !/^(npx|[A-Z_]+=.*|sudo)$/.test(tokens[at - 1] ?? ""))) continue;
          const problem = checkKeelCommand(program, tokens.slice(at + 1));
          if (problem) problems.push(`${b.where}: ${problem} in: ${line.trim()}`);
        }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it("ts blocks compile under strict TypeScript against the package and run", () => {
    const dir = mkdtempSync(join(tmpdir(), "keel-doc-blocks-"));
    mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
    symlinkSync(root, join(dir, "node_modules/keel"));
    for (const dep of ["zod", "tsx", "@types/node"])
      symlinkSync(join(root, "node_modules", dep), join(dir, "node_modules", dep));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          module: "nodenext",
          target: "es2022",
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        include: ["*.ts"],
      }),
    );
    const files = of("ts").map((b, i) => {
      const name = `block-${i}.ts`;
      writeFileSync(join(dir, name), `// ${b.where}\n${b.body}\n`);
      return { name, where: b.where };
    });
    const tsc = spawnSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", dir],
      {
        encoding: "utf8",
      },
    );
    expect(tsc.stdout, "tsc over the ts blocks (block-N.ts: the first line names its page)").toBe(
      "",
    );
    for (const file of files) {
      const home = join(dir, `home-${file.name}`);
      execFileSync(process.execPath, ["--import", "tsx", file.name], {
        cwd: dir,
        env: { ...process.env, HOME: home, KEEL_HOME: home, KEEL_STORE: "", NODE_OPTIONS: "" },
        timeout: 60_000,
        stdio: "pipe",
      });
    }
  }, 180_000);
});
