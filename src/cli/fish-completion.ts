import type { Command } from "commander";
import { completionLevels, type CompletionFlag } from "./completion.js";

const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/**
 * `keel completion fish`. Where the words typed so far lead is computed the way the bash script
 * does it (only known command words descend, so `--home /tmp/x` is skipped), not with fish's
 * `__fish_seen_subcommand_from`, which takes a flag's value for a command and cannot tell
 * `keel status` from `keel emergency status`.
 */
export function fishCompletion(program: Command): string {
  const levels = completionLevels(program);
  const cases = levels
    .filter((l) => l.commands.length > 0)
    .map(
      (l) =>
        `        case ${quote(l.path)}\n            printf '%s\\n' ${l.commands.map((c) => c.name).join(" ")}`,
    );
  const lines = [
    "# keel completion for fish: keel completion fish | source",
    "complete -c keel -f",
    "function __keel_commands --argument-names level",
    "    switch $level",
    ...cases,
    "    end",
    "end",
    "function __keel_level",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    set -l level ''",
    "    for word in $words",
    "        string match -q -- '-*' $word; and continue",
    "        contains -- $word (__keel_commands $level); or continue",
    '        test -n "$level"; and set level "$level $word"; or set level $word',
    "    end",
    "    printf '%s\\n' $level",
    "end",
    "function __keel_at --argument-names level",
    "    set -l at (__keel_level)",
    '    test "$at" = "$level"',
    "end",
  ];
  for (const level of levels) {
    const at = `-n ${quote(`__keel_at ${quote(level.path)}`)}`;
    for (const c of level.commands)
      lines.push(`complete -c keel ${at} -a ${quote(c.name)} -d ${quote(c.description)}`);
    for (const flag of level.flags) lines.push(`complete -c keel ${at} ${fishFlag(flag)}`);
  }
  return `${lines.join("\n")}\n`;
}

function fishFlag(flag: CompletionFlag): string {
  const names = [
    flag.long ? `-l ${flag.long.slice(2)}` : "",
    flag.short ? `-s ${flag.short.slice(1)}` : "",
  ].filter(Boolean);
  // a value from a fixed list, else any value with file names offered (--home, --config)
  const value = !flag.takesValue
    ? []
    : flag.choices.length > 0
      ? ["-x", "-a", quote(flag.choices.join(" "))]
      : ["-r", "-F"];
  return [...names, ...value, "-d", quote(flag.description)].join(" ");
}
