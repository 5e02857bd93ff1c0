import type { Command } from "commander";
import type { CommandEntry } from "./commands/index.js";

/**
 * The command modules a command line needs, read as commander reads the program's own options:
 * the one group its first word names (`jobs` in `keel --format json jobs list`); none for a line of
 * the program's options with `--version` among them (commander prints the version as it meets the
 * flag); every group for anything else (no word, `--help`, an unknown flag or command, `--`, and
 * `completion`), whose help and errors list the whole tree.
 */
export function entriesFor(
  program: Command,
  args: readonly string[],
  entries: readonly CommandEntry[],
): readonly CommandEntry[] {
  let version = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith("-")) {
      if (version) return [];
      const entry = entries.find((e) => e.names.includes(arg));
      return entry && !entry.wholeTree ? [entry] : entries;
    }
    const equals = arg.indexOf("=");
    const flag = equals > 0 ? arg.slice(0, equals) : arg;
    const option = program.options.find((o) => o.long === flag || o.short === flag);
    const takesValue = option !== undefined && (option.required || option.optional);
    if (!option || option.long === "--help" || (equals > 0 && !takesValue)) return entries;
    // a value of its own word: always for <value>, for [value] unless the next word is a flag
    const next = args[i + 1];
    const ownValue =
      equals < 0 &&
      (option.required || (option.optional && next !== undefined && !next.startsWith("-")));
    // `--version` prints keel's; with a value it names `shadow start`'s module, not a version
    if (option.long === "--version" && equals < 0 && !ownValue) version = true;
    if (ownValue) i += 1;
  }
  return version ? [] : entries;
}
