import type { BackupResult } from "../ops/db-backup.js";
import type { CheckResult } from "../ops/db-check.js";
import type { RebuildResult } from "../ops/db-rebuild.js";
import type { RestoredTokens } from "../ops/db-restore-tokens.js";
import type { RestoreResult } from "../ops/db-restore.js";
import type { VacuumResult } from "../ops/db-vacuum.js";
import { printFields, printJson, printTable, type Format } from "./output.js";

/** What the `keel db` commands print: JSON documented in docs/cli.md, tables for people. */
const runs = (n: number | null): string => `${n ?? 0} run${n === 1 ? "" : "s"}`;

export function printCheck(format: Format, r: CheckResult): void {
  if (format === "json") {
    printJson({
      ok: r.ok,
      file: r.file,
      schema_version: r.schemaVersion,
      runs: r.runs,
      problems: r.problems.map((p) => ({ code: p.code, message: p.message, run_id: p.runId })),
      counts: r.counts,
      advice: r.advice,
      ms: r.ms,
    });
    return;
  }
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  printFields([
    ["store", r.file],
    ["schema", r.schemaVersion],
    ["runs", r.runs],
    ["result", r.ok ? "ok" : `${total} problem${total === 1 ? "" : "s"}`],
  ]);
  if (r.ok) return;
  process.stdout.write("\n");
  printTable(
    r.problems.map((p) => ({ code: p.code, run: p.runId, problem: p.message })),
    ["code", "run", "problem"],
  );
  if (r.problems.length < total)
    process.stdout.write(
      `(${total - r.problems.length} more not listed; see counts in --format json)\n`,
    );
  if (r.advice.length > 0)
    process.stdout.write(`\nwhat to do:\n${r.advice.map((a) => `  ${a}`).join("\n")}\n`);
}

export function printBackup(format: Format, r: BackupResult): void {
  if (format === "json") {
    printJson({
      file: r.file,
      bytes: r.bytes,
      integrity: r.integrity,
      schema_version: r.schemaVersion,
      runs: r.runs,
      ms: r.ms,
      removed: r.removed,
    });
    return;
  }
  process.stdout.write(
    `backed up ${runs(r.runs)} to ${r.file} (${r.bytes} bytes, integrity ${r.integrity}) in ${r.ms} ms\n`,
  );
  for (const file of r.removed) process.stdout.write(`removed old backup ${file}\n`);
}

export function printRestore(
  format: Format,
  r: RestoreResult,
  hint: string,
  tokens?: RestoredTokens,
): void {
  if (format === "json") {
    printJson({
      ...(tokens
        ? {
            tokens: {
              live: tokens.live,
              foreign_admin: tokens.foreignAdmin.map((a) => a.id),
              revoked: tokens.revoked,
              rotated_to: tokens.rotatedTo,
            },
          }
        : {}),
      restored: r.restored,
      from: r.from,
      file: r.file,
      replaced: r.replaced,
      moved_aside: r.movedAside,
      bytes: r.bytes,
      schema_version: r.schemaVersion,
      runs: r.runs,
      ms: r.ms,
      ...(r.restored ? {} : { hint }),
    });
    return;
  }
  const aside = r.replaced
    ? `the current store ${r.restored ? "is kept" : "would be kept"} as ${r.replaced}`
    : "there is no current store to keep";
  if (r.restored)
    process.stdout.write(
      `restored ${r.from} (${runs(r.runs)}, schema ${r.schemaVersion}) into ${r.file}; ${aside}\n`,
    );
  else
    process.stdout.write(
      `${r.from} passed its checks (${runs(r.runs)}, schema ${r.schemaVersion}, integrity ok).\nIt would replace ${r.file}; ${aside}.\n`,
    );
}

export function printRebuild(format: Format, r: RebuildResult): void {
  const rows = r.diffs.map((d) => ({
    run_id: d.runId,
    stored: d.stored,
    rebuilt: d.rebuilt,
    last_transition: d.lastTransition,
    code: d.code,
  }));
  if (format === "json") {
    printJson({ applied: r.applied, runs: rows });
    return;
  }
  if (rows.length === 0) {
    process.stdout.write("every run's status matches its transitions\n");
    return;
  }
  printTable(rows, ["run_id", "stored", "rebuilt", "last_transition", "code"]);
}

export function printVacuum(format: Format, r: VacuumResult): void {
  if (format === "json") {
    printJson({
      backend: r.backend,
      bytes_before: r.bytesBefore,
      bytes_after: r.bytesAfter,
      bytes_freed: Math.max(0, r.bytesBefore - r.bytesAfter),
      tables: r.tables,
      ms: r.ms,
    });
    return;
  }
  printFields([
    ["backend", r.backend],
    ["bytes before", r.bytesBefore],
    ["bytes after", r.bytesAfter],
    ["freed", Math.max(0, r.bytesBefore - r.bytesAfter)],
    ["tables", r.tables.join(", ")],
    ["took", `${r.ms} ms`],
  ]);
}
