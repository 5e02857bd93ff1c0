import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";
import {
  completeInBash,
  completeInFish,
  completeInZsh,
  removeZshDotdir,
} from "./shell-complete.js";

/** `keel completion`: each script, loaded in its real shell, completes commands and flags. */
const scripts: Record<string, string> = {};
beforeAll(() => {
  const home = mkdtempSync(join(tmpdir(), "keel-completion-home-"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const result = keelCli(home, ["completion", shell]);
    expect(result.code, result.stderr).toBe(0);
    scripts[shell] = result.stdout;
  }
  rmSync(home, { recursive: true, force: true });
});
afterAll(removeZshDotdir);
const sorted = (words: string[]) => [...words].sort();
const jobsCommands = ["cancel", "list", "logs", "retry", "show"];

describe("keel completion", () => {
  it("completes commands, subcommands and flags in bash", () => {
    const bash = scripts.bash ?? "";
    expect(completeInBash(bash, ["keel", "qua"])).toEqual(["quarantine"]);
    expect(sorted(completeInBash(bash, ["keel", "jobs", ""]))).toEqual(jobsCommands);
    expect(sorted(completeInBash(bash, ["keel", "shadow", ""]))).toEqual([
      "list",
      "report",
      "start",
      "stop",
    ]);
    // a global flag's value is skipped, not taken for a command
    expect(completeInBash(bash, ["keel", "--home", "/tmp/x", "jobs", "li"])).toEqual(["list"]);
    expect(completeInBash(bash, ["keel", "jobs", "list", "--sta"])).toEqual(["--status"]);
    expect(completeInBash(bash, ["keel", "completion", "--he"])).toEqual(["--help"]);
  });

  it("completes in zsh's completion system, after compinit or without it", () => {
    const zsh = scripts.zsh ?? "";
    const compinit = "autoload -Uz compinit && compinit -u";
    expect(completeInZsh(zsh, "keel qua", compinit)).toEqual(["quarantine"]);
    expect(sorted(completeInZsh(zsh, "keel jobs ", compinit))).toEqual(jobsCommands);
    expect(completeInZsh(zsh, "keel --home /tmp/x jobs li", compinit)).toEqual(["list"]);
    expect(completeInZsh(zsh, "keel jobs list --sta", compinit)).toEqual(["--status"]);
    expect(sorted(completeInZsh(zsh, "keel nodes token ", compinit))).toEqual([
      "create",
      "list",
      "revoke",
    ]);
    // a ~/.zshrc with only the `source <(keel completion zsh)` line
    expect(completeInZsh(zsh, "keel jo")).toEqual(["jobs"]);
  });

  it("completes in fish: commands by level, flags where they apply, flag values", () => {
    const fish = scripts.fish ?? "";
    expect(completeInFish(fish, "keel jo")).toEqual(["jobs"]);
    expect(sorted(completeInFish(fish, "keel jobs "))).toEqual(jobsCommands);
    expect(sorted(completeInFish(fish, "keel jobs l"))).toEqual(["list", "logs"]);
    expect(sorted(completeInFish(fish, "keel nodes token "))).toEqual(["create", "list", "revoke"]);
    // a global flag's value is skipped, not taken for a command
    expect(completeInFish(fish, "keel --home /tmp/x jo")).toEqual(["jobs"]);
    // `status` under `emergency` is a leaf, whatever the top-level `status` is
    expect(completeInFish(fish, "keel emergency status ")).toEqual([]);
    expect(completeInFish(fish, "keel jobs list --sta")).toEqual(["--status"]);
    expect(completeInFish(fish, "keel --sta")).toEqual([]);
    expect(sorted(completeInFish(fish, "keel tokens create --role "))).toEqual([
      "admin",
      "operator",
      "viewer",
    ]);
    const dir = mkdtempSync(join(tmpdir(), "keel-completion-files-"));
    mkdirSync(join(dir, "data"));
    expect(completeInFish(fish, `keel --home ${dir}/da`)).toEqual([`${dir}/data/`]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses another shell with exit 2", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-completion-home-"));
    const other = keelCli(home, ["completion", "tcsh"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/unknown shell "tcsh"; use one of: bash, zsh, fish/);
    rmSync(home, { recursive: true, force: true });
  });
});
