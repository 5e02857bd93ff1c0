import { Command, CommanderError, Option } from "commander";
import { keelVersion } from "../core/version.js";
import { intFlag } from "./flags.js";
import { parseFormat, type Format } from "./output.js";
import { ExitCode } from "./exit-code.js";
import { entriesFor } from "./command-word.js";
import { commandEntries, type CommandEntry } from "./commands/index.js";
import type { GlobalOptions } from "./session.js";

/**
 * The `keel` command. Each command group lives in commands/<group>.ts and is listed in
 * commands/index.ts; given the command line, only the group it runs is imported (see
 * command-word.ts), without it every group. Exit codes: 0 ok, 1 failed, 2 bad usage (see
 * run-command.ts).
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = createProgram();
  const entries = argv ? entriesFor(program, argv.slice(2), commandEntries) : commandEntries;
  return registerEntries(program, entries);
}

/** The program with its own options, help and hooks, before any command group is added. */
function createProgram(): Command {
  const program = new Command("keel")
    .description("keel: a durable, self-healing job and pipeline orchestrator")
    // an optional value: `keel shadow start P --version MODULE` names a module, since program
    // options are read after the command words too; alone, it prints keel's version
    .addOption(
      new Option(
        "-V, --version [module]",
        "print keel's version (after `shadow start`: the new version's module)",
      ),
    )
    .addOption(new Option("--format <format>", "output: table | json").default("table"))
    .option("--config <file>", "config file (default ./keel.yaml, or $KEEL_CONFIG)")
    .option("--home <dir>", "data folder (default $KEEL_HOME or ~/.keel)")
    .option(
      "--store <url>",
      "store: postgres://user@host/db[?schema=keel] or a SQLite file (default $KEEL_STORE, else $KEEL_HOME/keel.db)",
    )
    .option(
      "--token <token>",
      "API token for a running node (default $KEEL_TOKEN, else $KEEL_HOME/admin.token)",
    )
    .addOption(
      new Option(
        "--api-timeout <ms>",
        "how long to wait for a running node's API (default cli.api_timeout_ms, 5000)",
      ).argParser(intFlag("--api-timeout", 100, 600_000)),
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  keel demo                                   run the demo pipeline over the shipped documents
  keel start --foreground                     run a node in this terminal
  keel submit document-analysis --input '{"name":"a","text":"..."}' --wait
  keel jobs list --status quarantined --since 24h --format json
  keel events tail --follow                   every step and run change, as it happens

With a node running for the home, commands go through its HTTP API (with --token, KEEL_TOKEN or
$KEEL_HOME/admin.token); with none, they work on the store directly. A node that does not answer
within --api-timeout (frozen, overloaded): read-only commands show the store and say so, commands
that change something fail and name \`keel stop --force\`.

Environment: KEEL_HOME, KEEL_STORE, KEEL_CONFIG, KEEL_TOKEN, KEEL_LOG_LEVEL, KEEL_CLI_API_TIMEOUT_MS,
  KEEL_<SECTION>_<KEY> (overrides keel.yaml)`,
    );
  program.on("option:version", (value: string | boolean | undefined) => {
    if (typeof value === "string") return;
    process.stdout.write(`${keelVersion}\n`);
    throw new CommanderError(0, "commander.version", keelVersion);
  });
  // the config file is read only for a command that runs (not for --help or --version)
  program.hook("preAction", async () =>
    (await import("./store-option.js")).applyStoreOption(program.opts()),
  );
  return program;
}

async function registerEntries(
  program: Command,
  entries: readonly CommandEntry[],
): Promise<Command> {
  const global = (): GlobalOptions => {
    const opts = program.opts<{
      format: string;
      config?: string;
      home?: string;
      token?: string;
      apiTimeout?: number;
    }>();
    return {
      format: parseFormat(opts.format) as Format,
      config: opts.config,
      home: opts.home,
      token: opts.token,
      apiTimeoutMs: opts.apiTimeout,
    };
  };
  const registers = await Promise.all(entries.map((entry) => entry.load()));
  for (const register of registers) register(program, global);
  for (const command of program.commands)
    command.exitOverride().showHelpAfterError("(run with --help for usage)");
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
}

export interface MainOptions {
  /**
   * Set when this is the bundled CLI (dist/cli): the URL of keel's own cli/main.js, which a command
   * that runs pipeline code runs on instead (see CommandEntry.pipelineCode).
   */
  unbundledMain?: string;
}

export async function main(
  argv: string[] = process.argv,
  options: MainOptions = {},
): Promise<void> {
  const program = createProgram();
  const entries = entriesFor(program, argv.slice(2), commandEntries);
  if (options.unbundledMain && entries.some((entry) => entry.pipelineCode)) {
    const unbundled = (await import(options.unbundledMain)) as { main: typeof main };
    return unbundled.main(argv);
  }
  // `keel ... | head`: a reader that has seen enough closes the pipe; stop quietly, as cat does
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(ExitCode.ok);
    throw error;
  });
  await registerEntries(program, entries);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    // loaded only on the way out: it knows the store's errors, which --version never meets
    const { reportError } = await import("./run-command.js");
    process.exitCode = reportError(error);
  }
}
