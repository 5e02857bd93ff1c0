import type { Command } from "commander";
import { doctor as doctorOp, doctorFix } from "../../api/operations/doctor.js";
import type { doctorJson } from "../../api/wire/doctor.js";
import { doctorCheckNames, doctorChecks, doctorExitCode } from "../../ops/doctor/index.js";
import { withClient } from "../client.js";
import { printJson } from "../output.js";
import { action } from "../run-command.js";
import type { GlobalOptions } from "../session.js";

/**
 * `keel doctor`: every check of src/ops/doctor/, through the node's API when one answers (which
 * adds what only it knows: its disk guard, CPU pressure, failing sources), else on the store,
 * read-only. Exit 0 nothing found, 1 warnings only, 2 a problem (or bad usage).
 */
type Report = ReturnType<typeof doctorJson>;

export function registerDoctor(program: Command, global: () => GlobalOptions): void {
  program
    .command("doctor")
    .description("what is wrong, the evidence, and the commands that fix it; exit 0 / 1 / 2")
    .option("--fix", "apply the safe, reversible fixes (each audited) after printing them")
    .option("--only <checks>", `only these checks, comma-separated: ${doctorCheckNames.join(", ")}`)
    .addHelpText(
      "after",
      `
Checks:
${doctorChecks.map((c) => `  ${c.name.padEnd(16)} ${c.description}`).join("\n")}

Examples:
  keel doctor                       every check; the exit code is the verdict
  keel doctor --only disk,backups --format json
  keel doctor --fix                 take a missing backup, reset a half-open breaker whose probe passed, ...

Exit codes: 0 nothing found; 1 warnings only; 2 a problem, or bad usage.
Limits: keel.yaml's doctor: section (docs/doctor.md), e.g. KEEL_DOCTOR_BACKUP_MAX_AGE_HOURS=48.`,
    )
    .action(
      action(async (opts: { fix?: boolean; only?: string }) => {
        const g = global();
        const query = { only: opts.only };
        const report = await withClient(g, (client) => client.call(doctorOp, { query }), {
          readOnly: true,
        });
        if (!opts.fix) {
          if (g.format === "json") printJson(report);
          else printReport(report);
          return doctorExitCode(report.status);
        }
        const planned = report.findings.filter((f) => f.auto_fix);
        if (g.format !== "json") {
          printReport(report);
          process.stdout.write(
            planned.length === 0
              ? "\nno safe fix to apply; the commands above are the operator's\n"
              : `\nwill do:\n${planned.map((f) => `  - ${f.auto_fix!.description}`).join("\n")}\n`,
          );
        }
        if (planned.length === 0) {
          if (g.format === "json") printJson({ ...report, fixes: [] });
          return doctorExitCode(report.status);
        }
        const fixed = await withClient(g, (client) =>
          client.call(doctorFix, { body: opts.only ? { only: opts.only } : undefined }),
        );
        const after = await withClient(g, (client) => client.call(doctorOp, { query }), {
          readOnly: true,
        });
        if (g.format === "json") printJson({ ...after, fixes: fixed.fixes });
        else {
          process.stdout.write("\ndone:\n");
          for (const f of fixed.fixes)
            process.stdout.write(`  ${f.ok ? "ok    " : "FAILED"} ${f.id}: ${f.result}\n`);
          process.stdout.write(`\nafter the fixes: ${verdict(after)}\n`);
        }
        return doctorExitCode(after.status);
      }),
    );
}

function verdict(report: Report): string {
  if (report.findings.length === 0) return "nothing found";
  const problems = report.findings.filter((f) => f.severity === "problem").length;
  return `${problems} problem(s), ${report.findings.length - problems} warning(s)`;
}

function printReport(report: Report): void {
  if (report.findings.length === 0)
    process.stdout.write(`ok: nothing found (${report.checks.length} checks)\n`);
  for (const f of report.findings) {
    process.stdout.write(`\n${f.severity.toUpperCase()} [${f.check}] ${f.summary}\n`);
    const evidence = Object.entries(f.evidence)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    if (evidence) process.stdout.write(`  evidence: ${evidence}\n`);
    process.stdout.write(`  fix:\n${f.commands.map((c) => `    ${c}`).join("\n")}\n`);
    if (f.auto_fix) process.stdout.write(`  keel doctor --fix: ${f.auto_fix.description}\n`);
  }
  for (const e of report.errors)
    process.stdout.write(`\nthe ${e.check} check could not run: ${e.error}\n`);
  if (report.findings.length > 0) process.stdout.write(`\n${verdict(report)}\n`);
}
