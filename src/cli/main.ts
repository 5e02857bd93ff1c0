import { Command, CommanderError, Option } from "commander";
import { keelVersion } from "../core/version.js";
import { registerDb } from "./commands/db.js";
import { registerEmergency } from "./commands/emergency.js";
import { registerEvents } from "./commands/events.js";
import { registerAudit } from "./commands/audit.js";
import { registerBreakers } from "./commands/breakers.js";
import { registerAlerts } from "./commands/alerts.js";
import { registerCompletion } from "./commands/completion.js";
import { registerConfig } from "./commands/config.js";
import { registerConsole } from "./commands/console.js";
import { registerDemo } from "./commands/demo.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerJobs } from "./commands/jobs.js";
import { registerQuarantine } from "./commands/quarantine.js";
import { registerSources } from "./commands/sources.js";
import { registerStart } from "./commands/start.js";
import { registerStatus } from "./commands/status.js";
import { registerStop } from "./commands/stop.js";
import { registerSubmit } from "./commands/submit.js";
import { registerTokens } from "./commands/tokens.js";
import { registerNodes } from "./commands/nodes.js";
import { registerTelemetry } from "./commands/telemetry.js";
import { registerVerify } from "./commands/verify.js";
import { registerGolden } from "./commands/golden.js";
import { registerShadow } from "./commands/shadow.js";
import { registerIncident } from "./commands/incident.js";
import { intFlag } from "./flags.js";
import { UsageError, parseFormat, type Format } from "./output.js";
import { ExitCode, reportError } from "./run-command.js";
import { applyStoreOption } from "./store-option.js";
import type { GlobalOptions } from "./session.js";

/**
 * The `keel` command. Each command group lives in commands/<group>.ts and registers itself here.
 * Exit codes: 0 ok, 1 failed, 2 bad usage (see run-command.ts).
 */
export function buildProgram(): Command {
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
  program.hook("preAction", () => applyStoreOption(program.opts()));
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
  for (const register of [registerDemo, registerStart, registerStop, registerSubmit, registerJobs])
    register(program, global);
  registerDb(program, global);
  registerQuarantine(program, global);
  registerAudit(program, global);
  registerSources(program, global);
  registerEmergency(program, global);
  registerEvents(program, global);
  registerTokens(program, global);
  registerNodes(program, global);
  registerBreakers(program, global);
  registerAlerts(program, global);
  registerStatus(program, global);
  registerConfig(program, global);
  registerTelemetry(program, global);
  registerConsole(program, global);
  registerDoctor(program, global);
  registerCompletion(program);
  registerVerify(program, global);
  registerGolden(program, global);
  registerShadow(program, global);
  registerIncident(program, global);
  for (const command of program.commands)
    command.exitOverride().showHelpAfterError("(run with --help for usage)");
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  // `keel ... | head`: a reader that has seen enough closes the pipe; stop quietly, as cat does
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(ExitCode.ok);
    throw error;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return;
    }
    if (error instanceof UsageError) {
      process.exitCode = reportError(error);
      return;
    }
    process.exitCode = reportError(error);
  }
}
