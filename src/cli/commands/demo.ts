import type { Command } from "commander";
import { createLogger } from "../../engine/logger.js";
import { keel } from "../../engine/keel.js";
import { loadConfig } from "../../ops/config.js";
import type { StepEvent } from "../../engine/run-execution.js";
import { resolveHome } from "../../store/home.js";
import { intFlag } from "../flags.js";
import { printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";
import { printDemoReport, stepTimings } from "../demo-report.js";
import { loadDemo } from "../demo-pipeline.js";
import { serveDemoConsole, type DemoConsole } from "../demo-console.js";

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
    .option(
      "--serve",
      "also serve the API and the web console, print a one-time login link, and keep running until Ctrl-C (what `npm start` runs)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keel demo\n  keel demo --serve              # then open the printed login link\n  keel demo --concurrency 1 --format json\n  KEEL_HOME=/tmp/keel-demo keel demo",
    )
    .action(
      action(async (opts: { concurrency: number; quiet?: boolean; serve?: boolean }) => {
        const g = global();
        const config = loadConfig(g.config);
        const home = resolveHome(g.home ?? config.home);
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
        let served: DemoConsole | undefined;
        try {
          if (opts.serve) {
            served = await serveDemoConsole(k, home, config);
            if (g.format === "table") printConsoleBanner(served);
          }
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
          if (g.format === "json")
            printJson(
              served?.kind === "serving"
                ? { ...report, console: served.url, login: served.login }
                : report,
            );
          else printDemoReport(report);
          if (served?.kind === "serving") {
            if (g.format === "table")
              process.stdout.write(
                `\nThe node keeps running with the console at ${served.url} (login: ${served.login}); Ctrl-C to stop.\n`,
              );
            await untilSignal();
          }
          return finals.every((r) => r.status === "succeeded") ? ExitCode.ok : ExitCode.failed;
        } finally {
          if (served?.kind === "serving") await served.close();
          await k.stop();
        }
      }),
    );
}

function printConsoleBanner(served: DemoConsole): void {
  if (served.kind === "serving")
    process.stdout.write(
      `console: ${served.url}\n  log in as admin with this one-time link (valid 15 minutes): ${served.login}\n`,
    );
  else
    process.stdout.write(
      `console: the node already running for this home (pid ${served.pid}) serves it${served.url ? ` at ${served.url}/` : ""}; \`keel console\` prints a login link\n`,
    );
}

/** resolves at the first SIGINT or SIGTERM (Ctrl-C, `keel stop`) */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const done = (): void => {
      clearInterval(keepAlive);
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}
