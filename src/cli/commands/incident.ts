import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfig } from "../../ops/config.js";
import { tarGz } from "../../ops/incident/tar.js";
import { resolveHome } from "../../store/home.js";
import { withClient } from "../client.js";
import { sinceFlag } from "../flags.js";
import { captureIncident, incidentFiles } from "../incident-capture.js";
import { printJson } from "../output.js";
import { action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel incident capture`: the evidence of an incident in one tar.gz, secrets masked. */
export function registerIncident(program: Command, global: () => GlobalOptions): void {
  const incident = program.command("incident").description("capture the evidence of an incident");
  incident
    .command("capture")
    .description(
      "one tar.gz: status, health, transitions and audit of the window, named runs, config, log excerpt, system facts, a postmortem.md",
    )
    .option("--since <when>", "the window: 30m, 1h, 24h or an ISO time (default 1h)", sinceFlag)
    .option("--run <id>", "a run to include with its checkpoints (repeat for more)", collect, [])
    .option("--out <file>", "where to write it (default ./keel-incident-<time>.tar.gz)")
    .addHelpText(
      "after",
      `
Files inside (under incident/): ${incidentFiles.join(", ")}.
Tokens, bearer headers, URL passwords and values under secret-looking keys are masked; with
security.path_redaction, paths are cut to their file name. The archive is written mode 0600.

Examples:
  keel incident capture --since 2h --run run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z --out /tmp/incident.tar.gz`,
    )
    .action(
      action(async (opts: { since?: number; run: string[]; out?: string }) => {
        const g = global();
        const config = loadConfig(g.config);
        const now = Date.now();
        const entries = await withClient(g, (client) =>
          captureIncident(client, {
            since: opts.since ?? now - 3_600_000,
            runs: [...new Set(opts.run)],
            home: resolveHome(g.home ?? config.home),
            config,
            now,
          }),
        );
        const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
        const out = resolve(opts.out ?? `keel-incident-${stamp}.tar.gz`);
        writeFileSync(out, tarGz(entries), { mode: 0o600 });
        if (g.format === "json") printJson({ file: out, files: entries.map((e) => e.name) });
        else process.stdout.write(`incident archive written: ${out} (${entries.length} files)\n`);
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
