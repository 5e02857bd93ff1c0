import { backupsCheck } from "./backups.js";
import { breakersCheck } from "./breakers.js";
import { capabilitiesCheck } from "./capabilities.js";
import { configDriftCheck } from "./config-drift.js";
import { cpuCheck } from "./cpu.js";
import { deliveriesCheck } from "./deliveries.js";
import { diskCheck } from "./disk.js";
import { emergencyCheck } from "./emergency.js";
import { gatesCheck } from "./gates.js";
import { nodesCheck } from "./nodes.js";
import { overdueRunningCheck } from "./overdue-running.js";
import { pidfileCheck } from "./pidfile.js";
import { quarantineCheck } from "./quarantine.js";
import { retriesCheck } from "./retries.js";
import { schemaDriftCheck } from "./schema-drift.js";
import { sourcesCheck } from "./sources.js";
import { stalledNodesCheck } from "./stalled-nodes.js";
import { storeCheck } from "./store.js";
import { stuckPendingCheck } from "./stuck-pending.js";
import { tokensCheck } from "./tokens.js";
import type { DoctorCheck, DoctorContext, Finding, Severity } from "./types.js";

export * from "./types.js";

/** Every check, in the order a report lists them: what stops all work first. */
export const doctorChecks: readonly DoctorCheck[] = [
  storeCheck,
  emergencyCheck,
  diskCheck,
  nodesCheck,
  stalledNodesCheck,
  stuckPendingCheck,
  capabilitiesCheck,
  breakersCheck,
  gatesCheck,
  cpuCheck,
  overdueRunningCheck,
  quarantineCheck,
  retriesCheck,
  sourcesCheck,
  deliveriesCheck,
  backupsCheck,
  schemaDriftCheck,
  configDriftCheck,
  tokensCheck,
  pidfileCheck,
];

export const doctorCheckNames = doctorChecks.map((c) => c.name);

export interface DoctorReport {
  /** "ok" with no finding, else the worst severity found */
  status: "ok" | Severity;
  checkedAt: number;
  checks: string[];
  findings: Finding[];
  /** checks that could not run, with why (a store that fails mid-check, say) */
  errors: { check: string; error: string }[];
}

/** Runs the checks (all, or `only`), one after another; one failing check does not stop the rest. */
export async function runDoctor(
  ctx: DoctorContext,
  only?: readonly string[],
): Promise<DoctorReport> {
  const checks = only ? doctorChecks.filter((c) => only.includes(c.name)) : doctorChecks;
  const findings: Finding[] = [];
  const errors: DoctorReport["errors"] = [];
  for (const check of checks) {
    try {
      findings.push(...(await check.run(ctx)));
    } catch (error) {
      errors.push({ check: check.name, error: (error as Error).message });
    }
  }
  const status = findings.some((f) => f.severity === "problem")
    ? "problem"
    : findings.length > 0
      ? "warning"
      : "ok";
  return { status, checkedAt: ctx.now, checks: checks.map((c) => c.name), findings, errors };
}

/** The exit code of `keel doctor`: 0 nothing found, 1 warnings only, 2 a problem. */
export function doctorExitCode(status: DoctorReport["status"]): number {
  return status === "problem" ? 2 : status === "warning" ? 1 : 0;
}
