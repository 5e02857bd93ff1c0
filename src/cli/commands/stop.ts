import type { Command } from "commander";
import { loadConfig } from "../../ops/config.js";
import { readLivePid } from "../../ops/pidfile.js";
import { processRuns } from "../../engine/process-identity.js";
import { resolveHome } from "../../store/home.js";
import { intFlag } from "../flags.js";
import { printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/** `keel stop`: signals the node of this home and waits for it to exit. */
export function registerStop(program: Command, global: () => GlobalOptions): void {
  program
    .command("stop")
    .description("stop the node of this home: graceful by default")
    .option("--force", "abort steps in flight; their runs go back to pending, nothing is lost")
    .option(
      "--timeout <seconds>",
      "how long to wait for the node to exit (default 60)",
      intFlag("--timeout", 1, 86_400),
      60,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keel stop            finish the steps in flight, then exit\n  keel stop --force    abort them now; their runs return to pending",
    )
    .action(
      action(async (opts: { force?: boolean; timeout: number }) => {
        const g = global();
        const home = resolveHome(g.home ?? loadConfig(g.config).home);
        const pid = readLivePid(home);
        if (pid === null) {
          if (g.format === "json") printJson({ stopped: false, reason: "not_running", home });
          else process.stdout.write(`no keel node is running for ${home}\n`);
          return ExitCode.ok;
        }
        process.kill(pid, "SIGTERM");
        // the second signal is what asks the node to abort its steps in flight
        if (opts.force) setTimeout(() => signal(pid), 100);
        const deadline = Date.now() + opts.timeout * 1000;
        while (processRuns(pid)) {
          if (Date.now() > deadline) {
            process.stderr.write(
              `keel (pid ${pid}) is still running after ${opts.timeout} s; try \`keel stop --force\`\n`,
            );
            return ExitCode.failed;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        if (g.format === "json") printJson({ stopped: true, pid, forced: Boolean(opts.force) });
        else process.stdout.write(`keel (pid ${pid}) stopped\n`);
        return ExitCode.ok;
      }),
    );
}

function signal(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}
