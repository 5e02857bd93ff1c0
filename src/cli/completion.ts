import type { Command } from "commander";

/**
 * Shell completion scripts generated from the commander tree, so a new command or flag completes
 * as soon as it is registered. Bash and zsh share one script (zsh through bashcompinit); fish gets
 * its own (fish-completion.ts) with each command's and flag's description.
 */
export interface CompletionFlag {
  long?: string;
  short?: string;
  description: string;
  /** `--home <dir>`: the next word is this flag's value, not a command */
  takesValue: boolean;
  /** the values it accepts, when they are a fixed list */
  choices: readonly string[];
}

export interface CompletionLevel {
  /** the command words that lead here: "" for `keel` itself, "jobs" for `keel jobs` */
  path: string;
  commands: { name: string; description: string }[];
  flags: CompletionFlag[];
}

const help: CompletionFlag = {
  long: "--help",
  short: "-h",
  description: "display help for command",
  takesValue: false,
  choices: [],
};

export function completionLevels(program: Command): CompletionLevel[] {
  const out: CompletionLevel[] = [];
  const walk = (command: Command, path: string, inherited: CompletionFlag[]): void => {
    const own = command.options.map((o): CompletionFlag => ({
      ...(o.long ? { long: o.long } : {}),
      ...(o.short ? { short: o.short } : {}),
      description: o.description,
      takesValue: o.required || o.optional,
      choices: o.argChoices ?? [],
    }));
    const flags = [...inherited, ...own];
    const commands = command.commands
      .filter((c) => c.name() !== "help")
      .map((c) => ({ name: c.name(), description: c.description() }));
    out.push({ path, commands, flags: [...flags, help] });
    for (const sub of command.commands)
      if (sub.name() !== "help") walk(sub, path ? `${path} ${sub.name()}` : sub.name(), flags);
  };
  // the program's own options (--home, --format...) are accepted after any command word
  walk(program, "", []);
  return out;
}

function flagWords(flags: CompletionFlag[]): string[] {
  return [...new Set(flags.flatMap((f) => [f.long, f.short].filter((w): w is string => !!w)))];
}

export function bashCompletion(program: Command): string {
  const cases = completionLevels(program)
    .map(
      (l) =>
        `    ${JSON.stringify(l.path)}) words=${JSON.stringify(
          l.commands.map((c) => c.name).join(" "),
        )}; flags=${JSON.stringify(flagWords(l.flags).join(" "))} ;;`,
    )
    .join("\n");
  return `# keel completion for bash and zsh: source <(keel completion bash)
_keel_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" word words flags i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    _keel_level "$path"
    # a flag's value (a file, a number) is not a command word: only known commands descend
    [[ " $words " == *" $word "* ]] && path="\${path:+$path }$word"
  done
  _keel_level "$path"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
_keel_level() {
  case "$1" in
${cases}
    *) words=""; flags="" ;;
  esac
}
if [[ -n "\${ZSH_VERSION:-}" ]]; then
  # bashcompinit needs zsh's completion system: load it when ~/.zshrc has not
  (( \${+functions[compdef]} )) || { autoload -Uz compinit && compinit; }
  autoload -U +X bashcompinit && bashcompinit
fi
complete -o default -F _keel_completion keel
`;
}
