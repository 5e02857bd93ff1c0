import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CleanupTask } from "../engine/disk-cleanup.js";
import type { KeelConfig } from "./config-schema.js";
import { pruneBackups } from "./backup-rotation.js";

/**
 * The retention tasks of the ops layer that the disk guard runs when the data folder fills up
 * (see engine/disk-cleanup.ts): backups beyond `backup.keep`, rotated logs beyond
 * `disk.keep_rotated_logs`. `keel start` hands this list to its node. Another retention rule
 * (telemetry rollups, ...) adds its task to the list returned here; nothing else needs to change.
 */
export function diskCleanupTasks(
  home: string,
  config: Pick<KeelConfig, "backup" | "disk">,
): CleanupTask[] {
  return [
    backupsCleanup(home, config.backup.keep),
    rotatedLogsCleanup(home, config.disk.keep_rotated_logs),
  ];
}

/** keel's own backups in $KEEL_HOME/backups beyond the newest `keep`, as the rotation does it. */
function backupsCleanup(home: string, keep: number): CleanupTask {
  return {
    name: "backups",
    run() {
      const { files, bytes } = pruneBackups(home, keep);
      return { removed: files.length, bytes };
    },
  };
}

/**
 * Rotated copies of keel's log in $KEEL_HOME/logs (`keel.log.1`, `keel.log.2.gz`,
 * `keel.log-20260131`: what logrotate and friends leave), the newest `keep` kept by modification
 * time. The live `keel.log` and files of other names are never touched.
 */
function rotatedLogsCleanup(home: string, keep: number): CleanupTask {
  return {
    name: "logs",
    run() {
      const dir = join(home, "logs");
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return { removed: 0, bytes: 0 };
      }
      const rotated = names
        .filter((n) => n.startsWith("keel.log") && n !== "keel.log")
        .map((n) => {
          const stat = statSync(join(dir, n));
          return { file: join(dir, n), mtime: stat.mtimeMs, bytes: stat.size };
        })
        .sort((a, b) => b.mtime - a.mtime || (a.file < b.file ? 1 : -1));
      let bytes = 0;
      const stale = rotated.slice(keep);
      for (const entry of stale) {
        rmSync(entry.file, { force: true });
        bytes += entry.bytes;
      }
      return { removed: stale.length, bytes };
    },
  };
}
