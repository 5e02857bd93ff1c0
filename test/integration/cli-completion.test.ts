import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";

/** `keel completion`: the bash script sourced in a real bash completes commands and flags. */
function complete(script: string, words: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), "keel-completion-")), "keel.bash");
  writeFileSync(file, script);
  const line = words.map((w) => `'${w}'`).join(" ");
  const result = spawnSync(
    "bash",
    [
      "-c",
      `source "$0"; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _keel_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
      file,
    ],
    { encoding: "utf8" },
  );
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split("\n").filter(Boolean);
}

describe("keel completion", () => {
  it("completes commands, subcommands and flags in bash", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-completion-home-"));
    const bash = keelCli(home, ["completion", "bash"]);
    expect(bash.code, bash.stderr).toBe(0);
    expect(complete(bash.stdout, ["keel", "qua"])).toEqual(["quarantine"]);
    expect(complete(bash.stdout, ["keel", "shadow", ""])).toEqual([
      "start",
      "stop",
      "list",
      "report",
    ]);
    expect(complete(bash.stdout, ["keel", "jobs", ""])).toEqual([
      "list",
      "show",
      "logs",
      "cancel",
      "retry",
    ]);
    // a global flag's value is skipped, not taken for a command
    expect(complete(bash.stdout, ["keel", "--home", "/tmp/x", "jobs", "li"])).toEqual(["list"]);
    expect(complete(bash.stdout, ["keel", "jobs", "list", "--sta"])).toEqual(["--status"]);
    expect(complete(bash.stdout, ["keel", "completion", "--he"])).toEqual(["--help"]);
  });

  it("prints zsh and fish scripts, and refuses another shell with exit 2", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-completion-home-"));
    expect(keelCli(home, ["completion", "zsh"]).stdout).toMatch(/bashcompinit/);
    const fish = keelCli(home, ["completion", "fish"]).stdout;
    expect(fish).toMatch(
      /complete -c keel -n '__fish_seen_subcommand_from jobs; and not __fish_seen_subcommand_from list show logs cancel retry' -a 'list'/,
    );
    const other = keelCli(home, ["completion", "tcsh"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/unknown shell "tcsh"; use one of: bash, zsh, fish/);
  });
});
