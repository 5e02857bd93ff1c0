import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/**
 * What a real shell offers for a command line once a `keel completion <shell>` script is loaded:
 * bash through the script's own function, zsh through its completion system on a pseudo-terminal,
 * fish through `complete -C`. Each returns the candidates, one per entry.
 */
const zshDriver = fileURLToPath(new URL("./fixtures/zsh-complete.zsh", import.meta.url));

/** runs `use` on the script written to a temp file, removed after */
function withScriptFile<T>(script: string, name: string, use: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "keel-completion-"));
  const file = join(dir, name);
  writeFileSync(file, script);
  try {
    return use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lines(result: SpawnSyncReturns<string>): string[] {
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split("\n").filter(Boolean);
}

export function completeInBash(script: string, words: string[]): string[] {
  const line = words.map((w) => `'${w}'`).join(" ");
  return withScriptFile(script, "keel.bash", (file) =>
    lines(
      spawnSync(
        "bash",
        [
          "-c",
          `source "$0"; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _keel_completion; printf '%s\\n' "\${COMPREPLY[@]}"`,
          file,
        ],
        { encoding: "utf8" },
      ),
    ),
  );
}

// compinit writes its dump file under ZDOTDIR: out of the real home, and shared by the calls
// of one test file, since building it takes a second or two
let zdotdir: string | undefined;

/** removes the zsh dump folder; for afterAll */
export function removeZshDotdir(): void {
  if (zdotdir) rmSync(zdotdir, { recursive: true, force: true });
  zdotdir = undefined;
}

/** `prelude`: what ~/.zshrc runs before the script (compinit, or nothing) */
export function completeInZsh(script: string, line: string, prelude = ""): string[] {
  const dotdir = (zdotdir ??= mkdtempSync(join(tmpdir(), "keel-completion-zdotdir-")));
  return withScriptFile(script, "keel.zsh", (file) =>
    lines(
      spawnSync("zsh", ["-f", zshDriver, file, line, prelude], {
        encoding: "utf8",
        env: { ...process.env, ZDOTDIR: dotdir, TERM: "xterm" },
        timeout: 30_000,
      }),
    ),
  );
}

/** fish's candidates without their descriptions */
export function completeInFish(script: string, line: string): string[] {
  return withScriptFile(script, "keel.fish", (file) =>
    lines(
      spawnSync(
        "fish",
        ["--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, file, line],
        {
          encoding: "utf8",
        },
      ),
    ),
  ).map((candidate) => candidate.split("\t")[0] ?? "");
}
