import type { Command } from "commander";

/**
 * Shell completion scripts generated from the commander tree, so a new command or flag completes
 * as soon as it is registered. Bash and zsh share one script (zsh through bashcompinit); fish gets
 * its own `complete` lines with each command's description.
 */
interface Level {
  /** the command words that lead here: "" for `keel` itself, "jobs" for `keel jobs` */
  path: string;
  commands: { name: string; description: string }[];
  options: string[];
}

function levels(program: Command): Level[] {
  const out: Level[] = [];
  const walk = (command: Command, path: string, inherited: string[]): void => {
    const own = command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
    const options = [...new Set([...inherited, ...own, "--help"])];
    const commands = command.commands
      .filter((c) => c.name() !== "help")
      .map((c) => ({ name: c.name(), description: c.description() }));
    out.push({ path, commands, options });
    for (const sub of command.commands)
      if (sub.name() !== "help") walk(sub, path ? `${path} ${sub.name()}` : sub.name(), options);
  };
  // the program's own options (--home, --format...) are accepted after any command word
  walk(program, "", []);
  return out;
}

export function bashCompletion(program: Command): string {
  const cases = levels(program)
    .map(
      (l) =>
        `    ${JSON.stringify(l.path)}) words=${JSON.stringify(
          l.commands.map((c) => c.name).join(" "),
        )}; flags=${JSON.stringify(l.options.join(" "))} ;;`,
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
  autoload -U +X bashcompinit && bashcompinit
fi
complete -o default -F _keel_completion keel
`;
}

export function fishCompletion(program: Command): string {
  const lines = [
    "# keel completion for fish: keel completion fish | source",
    "complete -c keel -f",
  ];
  const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  for (const level of levels(program)) {
    const words = level.path ? level.path.split(" ") : [];
    // fish sees the words typed so far: this level is where they are exactly `words`
    const condition =
      words.length === 0
        ? "__fish_use_subcommand"
        : `__fish_seen_subcommand_from ${words.at(-1)}; and not __fish_seen_subcommand_from ${
            level.commands.map((c) => c.name).join(" ") || words.at(-1)
          }`;
    for (const c of level.commands)
      lines.push(
        `complete -c keel -n ${quote(condition)} -a ${quote(c.name)} -d ${quote(c.description)}`,
      );
  }
  const flags = new Set(levels(program).flatMap((l) => l.options));
  for (const flag of flags)
    if (flag.startsWith("--")) lines.push(`complete -c keel -l ${flag.slice(2)}`);
  return `${lines.join("\n")}\n`;
}
