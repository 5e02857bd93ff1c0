import type { Command } from "commander";
import { createLogger } from "../../engine/logger.js";
import { keel } from "../../engine/keel.js";
import { loadConfig } from "../../ops/config.js";
import type { StepEvent } from "../../engine/run-execution.js";
import { resolveHome } from "../../store/open-store.js";
import { intFlag } from "../flags.js";
import { printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { printDemoReport, stepTimings } from "../demo-report.js";
import { loadDemo } from "../demo-pipeline.js";

/**
 * `keel demo`: a node on the local store runs the 11-step document-analysis pipeline over the
 * documents shipped in examples/, printing each step as it finishes, then a timing report.
 */
export function registerDemo(program: Command, global: () => GlobalOptions): void {
  program
    .command("demo")
    .description("run the document-analysis demo pipeline over the shipped documents")
    .option(
      "--concurrency <n>",
      "runs in flight at once (default 4)",
      intFlag("--concurrency", 1, 1000),
      4,
    )
    .option("--quiet", "print only the report, not each step")
    .addHelpText(
      "after",
      "\nExamples:\n  keel demo\n  keel demo --concurrency 1 --format json\n  KEEL_HOME=/tmp/keel-demo keel demo",
    )
    .action(
      action(async (opts: { concurrency: number; quiet?: boolean }) => {
        const g = global();
        const home = resolveHome(g.home ?? loadConfig(g.config).home);
        const demo = await loadDemo();
        const documentAnalysis = demo.pipeline;
        const documents = await demo.loadDocuments();
        const k = keel({
          home,
          pipelines: [documentAnalysis],
          breakers: demo.breakers,
          concurrency: opts.concurrency,
          logger: createLogger({ level: process.env.KEEL_LOG_LEVEL ?? "warn" }),
        });
        const events: StepEvent[] = [];
        const names = new Map<string, string>();
        const live = g.format === "table" && !opts.quiet;
        k.on("step", (e) => {
          events.push(e);
          if (live && e.status !== "running") {
            const mark = e.status === "succeeded" ? "ok  " : "FAIL";
            process.stdout.write(
              `  ${mark} ${(names.get(e.runId) ?? e.runId).padEnd(28)} ${e.step.padEnd(24)} ${(e.ms ?? 0).toFixed(1).padStart(7)} ms${e.error ? `  ${e.error.code}: ${e.error.message}` : ""}\n`,
            );
          }
        });
        if (g.format === "table")
          process.stdout.write(
            `keel demo: ${documents.length} documents through "${documentAnalysis.name}" (11 steps), store ${home}\n`,
          );
        const started = performance.now();
        await k.start();
        try {
          const runs = await k.submitMany(documentAnalysis, documents, {
            source: "demo",
            actor: "cli",
          });
          runs.forEach((r, i) => names.set(r.id, documents[i]?.name ?? r.id));
          const finals = await Promise.all(runs.map((r) => k.wait(r.id, { timeoutMs: 120_000 })));
          const wallMs = performance.now() - started;
          const report = {
            runs: finals.map((r) => ({
              id: r.id,
              document: names.get(r.id),
              status: r.status,
              output: r.output,
            })),
            steps: stepTimings(events),
            wall_ms: Math.round(wallMs),
            home,
          };
          if (g.format === "json") printJson(report);
          else printDemoReport(report);
          return finals.every((r) => r.status === "succeeded") ? ExitCode.ok : ExitCode.failed;
        } finally {
          await k.stop();
        }
      }),
    );
}
