import type { Command } from "commander";
import { bashCompletion } from "../completion.js";
import { fishCompletion } from "../fish-completion.js";
import { UsageError } from "../output.js";
import { ExitCode, action } from "../run-command.js";

const shells = ["bash", "zsh", "fish"] as const;

/** `keel completion bash|zsh|fish`: prints a completion script for the shell. */
export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .argument("<shell>", `the shell: ${shells.join(" | ")}`)
    .description("print a shell completion script: commands, subcommands and flags")
    .addHelpText(
      "after",
      `
Examples:
  source <(keel completion bash)                       bash, this shell; add it to ~/.bashrc
  source <(keel completion zsh)                        zsh, this shell; add it to ~/.zshrc
  keel completion fish > ~/.config/fish/completions/keel.fish`,
    )
    .action(
      action(async (shell: string) => {
        if (!(shells as readonly string[]).includes(shell))
          throw new UsageError(`unknown shell "${shell}"; use one of: ${shells.join(", ")}`);
        process.stdout.write(shell === "fish" ? fishCompletion(program) : bashCompletion(program));
        return ExitCode.ok;
      }),
    );
}
