import { existsSync, rmSync } from "node:fs";
import type { Keel } from "../../engine/keel.js";
import { AuditAction } from "../../store/audit.js";
import { resetBreaker } from "../breakers.js";
import { backupStore } from "../db-backup.js";
import { readLivePid } from "../pidfile.js";
import { pidfilePath } from "./pidfile.js";
import type { AutoFix, Finding } from "./types.js";

/**
 * `keel doctor --fix`: applies the safe, reversible fixes the findings name, one by one, and
 * writes one audit entry per fix (`doctor.fix`, with what it did). Each fix looks again before it
 * acts: a pidfile that names a live node by now is left alone.
 */
export interface FixDeps {
  keel: Keel;
  home: string;
  actor: string;
  /** backups to keep when a fix takes one (backup.keep) */
  backupKeep: number;
  now?: () => number;
}

export interface AppliedFix extends AutoFix {
  check: string;
  ok: boolean;
  /** what it did, or why it did not */
  result: string;
}

export async function applyFixes(
  findings: readonly Finding[],
  deps: FixDeps,
): Promise<AppliedFix[]> {
  const applied: AppliedFix[] = [];
  for (const finding of findings) {
    const fix = finding.autoFix;
    if (!fix) continue;
    let ok = true;
    let result: string;
    try {
      result = await apply(fix, deps);
    } catch (error) {
      ok = false;
      result = (error as Error).message;
    }
    const now = (deps.now ?? Date.now)();
    await deps.keel.store.appendAudit({
      at: now,
      actor: deps.actor,
      action: AuditAction.doctorFix,
      target: fix.target,
      reason: fix.description,
      details: { fix: fix.id, check: finding.check, ok, result },
    });
    applied.push({ ...fix, check: finding.check, ok, result });
  }
  return applied;
}

async function apply(fix: AutoFix, deps: FixDeps): Promise<string> {
  if (fix.id === "backup.take") {
    const backup = await backupStore({ home: deps.home, keep: deps.backupKeep });
    return `backup ${backup.file} (${backup.bytes} bytes, ${backup.runs} runs, checked)`;
  }
  if (fix.id === "breaker.reset") {
    const name = fix.target!;
    const breaker = await deps.keel.store.getBreaker(name);
    if (breaker?.state !== "half_open")
      return `breaker ${name} is ${breaker?.state ?? "gone"} now: left alone`;
    await resetBreaker(deps.keel, name, {
      note: "keel doctor --fix: its probe passed",
      actor: deps.actor,
    });
    return `breaker ${name} reset to closed`;
  }
  if (fix.id === "pidfile.remove") {
    const file = pidfilePath(deps.home);
    if (readLivePid(deps.home) !== null) return `${file} names a live node now: left alone`;
    if (existsSync(file)) rmSync(file);
    return `removed ${file}`;
  }
  throw new Error(`unknown fix ${fix.id}`);
}
