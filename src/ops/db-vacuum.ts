import { statSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "../core/errors/store-errors.js";
import { openStore } from "../store/open-store.js";
import { sqlitePathFor } from "../store/home.js";
import type { VacuumReport } from "../store/retention-store.js";
import { assertNoNodeRunning } from "./db-files.js";
import { requireStoreFile } from "./db-preflight.js";

export interface VacuumResult extends VacuumReport {
  backend: "sqlite" | "postgres";
  ms: number;
}

/**
 * `keel db vacuum`: the space of deleted runs given back. SQLite's VACUUM rewrites the whole file
 * under an exclusive lock and needs room for a second copy, so it is refused while a node runs on
 * the home and when the disk has less free space than the file. PostgreSQL's VACUUM (ANALYZE)
 * runs beside nodes: it blocks neither reads nor writes.
 */
export async function vacuumStore(
  home: string,
  now: () => number = Date.now,
): Promise<VacuumResult> {
  const path = sqlitePathFor({ home });
  if (path !== null) {
    assertNoNodeRunning(
      home,
      "vacuuming the store (VACUUM rewrites the whole file under an exclusive lock and would stall the node)",
    );
    requireStoreFile(home);
    assertRoomForCopy(path);
  }
  const store = openStore({ home });
  try {
    const started = now();
    const report = await store.vacuum();
    return { ...report, backend: store.backend, ms: now() - started };
  } finally {
    await store.close();
  }
}

/** VACUUM writes a full copy before it drops the old pages: the disk must hold the file twice. */
function assertRoomForCopy(path: string): void {
  let bytes = 0;
  for (const file of [path, `${path}-wal`])
    try {
      bytes += statSync(file).size;
    } catch {
      // no WAL file: nothing to count
    }
  const fs = statfsSync(dirname(path));
  const free = fs.bavail * fs.bsize;
  if (free < bytes)
    throw new StoreError(
      "store_full",
      `not enough free space to vacuum ${path}: VACUUM needs room for a copy of the store (${bytes} bytes) and the disk has ${free} bytes free. Free some space first (\`keel quarantine purge\`, old backups in the backups folder)`,
    );
}
