import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * docs/operator-guide.md promises that each of its commands works. Every `keel` command in its
 * code blocks, with each flag it uses, must be run by an integration test against a real node
 * (test/integration/*.test.ts call the CLI as `keelCli(home, [...])` or `json(home, [...])`): a
 * command added to the guide without a test fails here.
 */
const guide = readFileSync(new URL("../../docs/operator-guide.md", import.meta.url), "utf8");
const testDir = new URL("./", import.meta.url);
const sources = readdirSync(testDir)
  .filter((f) => f.endsWith(".test.ts") && f !== "operator-guide.test.ts")
  .map((f) => readFileSync(new URL(f, testDir), "utf8"))
  .join("\n");

interface GuideCommand {
  line: string;
  /** e.g. ["quarantine", "purge"] */
  path: string[];
  flags: string[];
}

function guideCommands(): GuideCommand[] {
  const commands: GuideCommand[] = [];
  for (const block of guide.matchAll(/```(?:(?:sh|bash|shell)(?: [^\n]*)?)?\n([\s\S]*?)```/g))
    for (const raw of block[1]!.split("\n")) {
      const line = raw
        .replace(/\s+#.*$/, "")
        .split("|")[0]!
        .trim();
      if (!line.startsWith("keel ")) continue;
      const words = line.match(/"[^"]*"|'[^']*'|\S+/g)!.slice(1);
      const path = words
        .filter((w, i) => !w.startsWith("-") && words.slice(0, i).every((p) => !p.startsWith("-")))
        .slice(0, 2);
      // the second word is a subcommand only when it is a lower-case word, not an argument (RUN, ID)
      if (path[1] && !/^[a-z][a-z-]*$/.test(path[1])) path.pop();
      const flags = words.filter((w) => w.startsWith("--")).map((w) => w.split("=")[0]!);
      commands.push({ line, path, flags });
    }
  return commands;
}

/** The argument arrays the integration tests pass to the CLI. */
function testedInvocations(): string[][] {
  const calls: string[][] = [];
  // an array that starts with a string literal; ids (`created[0].id`) and spreads between the
  // literals are skipped
  for (const m of sources.matchAll(/\[\s*("[^"]*"(?:[^[\]]|\[[^\]]*\])*)\]/g)) {
    const words = [...m[1]!.matchAll(/"([^"]*)"/g)].map((w) => w[1]!);
    if (words.length > 0) calls.push(words);
  }
  return calls;
}

describe("docs/operator-guide.md", () => {
  const commands = guideCommands();
  const calls = testedInvocations();

  it("has commands to check", () => {
    expect(commands.length).toBeGreaterThan(30);
  });

  it.each(commands.map((c) => [c.line, c] as const))(
    "%s is run by an integration test",
    (_line, command) => {
      const matching = calls.filter((words) => command.path.every((p, i) => words[i] === p));
      expect(matching.length, `no test runs \`keel ${command.path.join(" ")}\``).toBeGreaterThan(0);
      for (const flag of command.flags) {
        // a flag may be set in a shared helper's array (--format json) rather than in the call
        const used =
          matching.some((words) => words.includes(flag)) ||
          (flag === "--format" && sources.includes('"--format", "json"'));
        expect(used, `no test runs \`keel ${command.path.join(" ")}\` with ${flag}`).toBe(true);
      }
    },
  );
});
