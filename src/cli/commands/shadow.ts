import type { Command } from "commander";
import { resolve } from "node:path";
import {
  listShadows,
  shadowReport,
  startShadowOp,
  stopShadowOp,
} from "../../api/operations/shadows.js";
import { parseSample } from "../../ops/shadow/sample.js";
import { withClient } from "../client.js";
import { intFlag } from "../flags.js";
import { UsageError, printJson, printTable } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel shadow start|stop|list|report`: a new version of a pipeline run on a sample of the
 * primary's succeeded runs in the replay sandbox, compared step by step, writing only to the
 * shadow's own tables.
 */
export function registerShadow(program: Command, global: () => GlobalOptions): void {
  const shadow = program
    .command("shadow")
    .description("shadow runs: compare a new version of a pipeline with the primary's runs");

  shadow
    .command("start")
    .description("shadow a pipeline with a new version (operator, audited)")
    .argument("<pipeline>", "the pipeline to shadow")
    .option("--version <module>", "a module that exports the new version of the pipeline")
    .option("--sample <percent>", "share of the primary's succeeded runs to compare", "10%")
    .option(
      "--max-per-minute <n>",
      "compare at most this many runs a minute, across the cluster",
      intFlag("--max-per-minute", 1, 100_000),
    )
    .addHelpText(
      "after",
      `
The module is loaded in the replay sandbox; its pipeline must have the primary's step names.
A path is resolved against this directory. Nothing the shadow runs can write to the primary's
runs or reach the network: see docs/determinism.md#shadow-runs.

Examples:
  keel shadow start pricing --version ./releases/pricing-v2.mjs --sample 10%
  keel shadow start pricing --version /srv/app/next/pipeline.mjs --sample 100% --max-per-minute 30`,
    )
    .action(
      action(
        async (
          pipeline: string,
          opts: { version?: string; sample: string; maxPerMinute?: number },
        ) => {
          const g = global();
          const module = opts.version ?? programVersionValue(program);
          if (!module)
            throw new UsageError(
              "keel shadow start needs --version <module>: the file that exports the new version of the pipeline",
            );
          const sampleRate = parseSample(opts.sample);
          const started = await withClient(g, (client) =>
            client.call(startShadowOp, {
              body: {
                pipeline,
                module,
                module_resolved: resolve(module),
                sample_rate: sampleRate,
                ...(opts.maxPerMinute ? { max_per_minute: opts.maxPerMinute } : {}),
              },
            }),
          );
          if (g.format === "json") printJson(started);
          else
            process.stdout.write(
              `shadowing ${started.pipeline} with version ${started.version} (${started.module}) on ${percent(started.sample_rate)} of its succeeded runs; see \`keel shadow report ${started.pipeline}\`\n`,
            );
        },
      ),
    );

  shadow
    .command("stop")
    .description("stop a pipeline's active shadow; its comparisons stay for the report")
    .argument("<pipeline>", "the shadowed pipeline")
    .addHelpText("after", "\nExamples:\n  keel shadow stop pricing")
    .action(
      action(async (pipeline: string) => {
        const g = global();
        const stopped = await withClient(g, (client) =>
          client.call(stopShadowOp, { params: { name: pipeline } }),
        );
        if (g.format === "json") printJson(stopped);
        else process.stdout.write(`stopped the shadow ${stopped.id} of ${stopped.pipeline}\n`);
      }),
    );

  shadow
    .command("list")
    .description("the shadows, active and stopped, newest first")
    .addHelpText("after", "\nExamples:\n  keel shadow list --format json")
    .action(
      action(async () => {
        const g = global();
        const page = await withClient(g, (client) => client.call(listShadows, {}));
        if (g.format === "json") printJson(page);
        else
          printTable(
            page.shadows.map((s) => ({
              pipeline: s.pipeline,
              state: s.state,
              version: s.version,
              module: s.module,
              sample: percent(s.sample_rate),
              started: s.started_at,
              by: s.started_by,
            })),
            ["pipeline", "state", "version", "module", "sample", "started", "by"],
          );
      }),
    );

  shadow
    .command("report")
    .description("runs compared, same, and mismatch counts and rates by class, per step")
    .argument("[pipeline]", "one shadowed pipeline (default: every one's newest shadow)")
    .addHelpText(
      "after",
      `
Exit codes: 0 every compared run was the same; 1 a mismatch (or no such shadow); 2 bad flags.

Examples:
  keel shadow report pricing
  keel shadow report --format json`,
    )
    .action(
      action(async (pipeline: string | undefined) => {
        const g = global();
        const page = await withClient(g, (client) =>
          client.call(shadowReport, { query: pipeline ? { pipeline } : {} }),
        );
        if (g.format === "json") printJson(page);
        else for (const r of page.reports) printReport(r);
        return page.reports.every((r) => r.runs.mismatch === 0) ? ExitCode.ok : ExitCode.failed;
      }),
    );
}

type Report = Awaited<ReturnType<typeof shadowReport.run>>["reports"][number];

function printReport(r: Report): void {
  const { shadow: s, runs } = r;
  process.stdout.write(
    `${s.pipeline}: shadow ${s.version} (${s.module}), ${s.state}, sample ${percent(s.sample_rate)}\n` +
      `compared ${runs.compared}, same ${runs.same}, mismatch ${runs.mismatch} (${percent(r.mismatch_rate)})` +
      `${runs.queued + runs.running > 0 ? `, waiting ${runs.queued + runs.running}` : ""}${runs.failed > 0 ? `, failed ${runs.failed}` : ""}\n`,
  );
  printTable(
    r.steps.map((x) => ({
      step: x.step,
      compared: x.compared,
      same: x.same,
      mismatch: x.mismatch,
      classes:
        Object.entries(x.classes)
          .map(([c, v]) => `${c} ${v.runs} (${percent(v.rate)})`)
          .join(", ") || null,
    })),
    ["step", "compared", "same", "mismatch", "classes"],
  );
  for (const x of r.steps)
    for (const sample of x.samples.slice(0, 3))
      process.stdout.write(
        `  ${x.step} ${sample.class ?? "-"} ${sample.run} ${sample.fields.join(" ") || "-"}\n`,
      );
}

/** `--version MODULE` as the program read it (its own options are read after command words too) */
function programVersionValue(program: Command): string | undefined {
  const value: unknown = program.opts().version;
  return typeof value === "string" ? value : undefined;
}

function percent(rate: number): string {
  return `${Math.round(rate * 10_000) / 100}%`;
}
