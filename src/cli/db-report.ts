import type { BackupResult } from "../ops/db-backup.js";
import type { CheckResult } from "../ops/db-check.js";
import type { CopyResult } from "../store/store-copy.js";
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
      backend: r.backend,
      schema_version: r.schemaVersion,
      known_version: r.knownVersion,
      migrations: r.migrations.map((m) => ({
        version: m.version,
        name: m.name,
        breaking: m.breaking,
        applied_at: new Date(m.appliedAt).toISOString(),
      })),
      tables: r.tables,
      runs: r.runs,
      problems: r.problems.map((p) => ({ code: p.code, message: p.message, run_id: p.runId })),
      counts: r.counts,
      advice: r.advice,
      ms: r.ms,
    });
    return;
  }
  const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
  const ahead =
    r.knownVersion !== null && r.schemaVersion !== null && r.schemaVersion > r.knownVersion
      ? ` (newer than this keel, which knows ${r.knownVersion}: a newer keel migrated it)`
      : "";
  const tables = Object.entries(r.tables)
    .map(([t, n]) => `${t} ${n}`)
    .join(", ");
  printFields([
    ["store", r.file],
    ["schema", r.schemaVersion === null ? null : `${r.schemaVersion}${ahead}`],
    ["runs", r.runs],
    ...(tables ? ([["rows", tables]] as [string, string][]) : []),
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
    ? `the current store ${r.restored ? "is kept" : "would be kept"} as ${r.server ? `schema ${r.replaced}` : r.replaced}`
    : "there is no current store to keep";
  if (r.server && !r.restored) {
    process.stdout.write(
      `${r.from} is a dump of this store's schema (${r.bytes} bytes).\nIt would replace the store at ${r.file}; ${aside}.\n`,
    );
    return;
  }
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

export function printCopy(format: Format, r: CopyResult): void {
  if (format === "json") {
    printJson({
      from: r.from,
      to: r.to,
      schema: r.schema,
      tables: r.tables,
      cleared: r.cleared,
      ms: r.ms,
    });
    return;
  }
  const rows = r.tables.reduce((n, t) => n + t.rows, 0);
  process.stdout.write(
    `copied ${r.from} into ${r.to} (schema ${r.schema}): ${rows} rows in ${r.ms} ms\n`,
  );
  if (r.cleared.length > 0) process.stdout.write(`emptied first: ${r.cleared.join(", ")}\n`);
  process.stdout.write("\n");
  printTable(
    r.tables.map((t) => ({ table: t.table, rows: t.rows, hash: t.hash.slice(0, 16) })),
    ["table", "rows", "hash"],
  );
  process.stdout.write(
    `\nevery table read back with the source's row count and content hash.\nnext: start nodes on it with KEEL_STORE='${r.to}' keel start (or store.url in keel.yaml)\n`,
  );
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
