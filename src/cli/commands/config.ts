import type { Command } from "commander";
import { stringify } from "yaml";
import { findConfigFile, loadConfig } from "../../ops/config.js";
import { configFileKeys, effectiveConfig } from "../../ops/config-show.js";
import { missingPipelineModules } from "../../ops/pipeline-modules.js";
import { InvalidInputError } from "../../core/errors/definition-errors.js";
import { UsageError, printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel config validate [FILE]` and `keel config show`. */
export function registerConfig(program: Command, global: () => GlobalOptions): void {
  const config = program
    .command("config")
    .description("check keel.yaml, print the effective config")
    .addHelpText(
      "after",
      `
Examples:
  keel config validate                   the resolved config file (--config, $KEEL_CONFIG, ./keel.yaml)
  keel config validate other.yaml        exit 2 naming file:line, the key, why, and the nearest valid key
  keel config show --format json         defaults < keel.yaml < KEEL_* environment, secrets masked`,
    );

  config
    .command("validate")
    .description("check a config file; exit 0 when valid, 2 with the bad key and its line")
    .argument("[file]", "the file to check (default: the resolved config file or ./keel.yaml)")
    .action(
      action(async (file: string | undefined) => {
        const g = global();
        const target = file ?? findConfigFile(g.config);
        if (target === null)
          throw new UsageError(
            "no config file to validate: pass one, set --config or $KEEL_CONFIG, or create ./keel.yaml",
          );
        // the file alone: KEEL_* variables are not applied (`keel config show` applies them)
        const loaded = loadConfig(target, {});
        const missing = missingPipelineModules(loaded.pipelineModules);
        if (missing.length > 0)
          throw new InvalidInputError(
            `${loaded.file}: pipelines: ${missing.map((m) => `module ${m} does not exist`).join("; ")} (paths are relative to the config file)`,
            { field: "pipelines", missing },
          );
        if (g.format === "json") printJson({ file: loaded.file, valid: true });
        else process.stdout.write(`${loaded.file}: valid\n`);
        return ExitCode.ok;
      }),
    );

  config
    .command("show")
    .description(
      "print the effective config (defaults < file < KEEL_* environment), secrets masked",
    )
    .action(
      action(async () => {
        const g = global();
        const loaded = loadConfig(g.config);
        const shown = effectiveConfig(loaded, configFileKeys(loaded.file));
        if (g.format === "json") printJson(shown);
        else {
          process.stdout.write(`# file: ${shown.file ?? "(none: defaults and environment)"}\n`);
          const origins = Object.entries(shown.origins)
            .filter(([, source]) => source !== "default")
            .map(([key, source]) => `${key}=${source}`);
          if (origins.length > 0) process.stdout.write(`# not defaults: ${origins.join(", ")}\n`);
          process.stdout.write(stringify(shown.config));
        }
        return ExitCode.ok;
      }),
    );
}
