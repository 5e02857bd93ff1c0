// Shared by the doctor's tests: a fresh home with the doctor's fixture pipelines, `keel doctor`
// run as a user runs it, and the finding of one check picked out of its JSON.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { keelCli, type CliResult } from "../integration/keel-cli.js";
import { writeConfig } from "../integration/node-process.js";

export const doctorFixture = fileURLToPath(
  new URL("./fixtures/doctor-pipelines.mjs", import.meta.url),
);

export interface DoctorFinding {
  check: string;
  severity: "warning" | "problem";
  summary: string;
  evidence: Record<string, unknown>;
  commands: string[];
  auto_fix: { id: string; description: string; target: string | null } | null;
}

export interface DoctorJson {
  status: "ok" | "warning" | "problem";
  checks: string[];
  findings: DoctorFinding[];
  errors: { check: string; error: string }[];
  fixes?: { id: string; ok: boolean; result: string }[];
}

/** Runs a command a finding names, as the operator would paste it (its `--home` included). */
export function runFixCommand(command: string, config: string): CliResult {
  expect(command.startsWith("keel "), command).toBe(true);
  const args = (command.match(/"[^"]*"|\S+/g) ?? [])
    .slice(1)
    .map((a) => a.replace(/^"(.*)"$/, "$1"));
  const home = args[args.indexOf("--home") + 1]!;
  return keelCli(home, [...args, "--config", config]);
}

/** Fresh homes (removed after each test), each with keel.yaml naming the fixture pipelines. */
export function useHomes(): (extraConfig?: string) => { home: string; config: string } {
  const homes: string[] = [];
  afterEach(() => {
    for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  });
  return (extra = "") => {
    const home = mkdtempSync(join(tmpdir(), "keel-doctor-"));
    homes.push(home);
    return { home, config: writeConfig(home, [doctorFixture], extra) };
  };
}

/** `keel doctor --format json [args]`: the report and the exit code. */
export function doctor(
  home: string,
  config: string,
  args: string[] = [],
  env: Record<string, string> = {},
): { report: DoctorJson; code: number | null; result: CliResult } {
  const result = keelCli(home, ["doctor", "--config", config, "--format", "json", ...args], env);
  // a warning (a node that does not answer) may precede; never an error
  expect(result.stderr).not.toMatch(/^error/m);
  return { report: JSON.parse(result.stdout) as DoctorJson, code: result.code, result };
}

export function findingOf(report: DoctorJson, check: string): DoctorFinding {
  const found = report.findings.find((f) => f.check === check);
  expect(found, `no ${check} finding in ${JSON.stringify(report.findings, null, 2)}`).toBeDefined();
  return found!;
}

export async function until(
  done: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
