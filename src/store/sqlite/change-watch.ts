import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * Notices commits by other processes on the same SQLite file. PRAGMA data_version changes only
 * when another connection committed; reading it is cheap (the WAL index is shared memory).
 * Every commit appends to the -wal file, so an inotify watch on the folder reports it within a
 * fraction of a millisecond; the slower interval is the safety net when watching is impossible
 * (some network filesystems) or an event is missed. Either way it is only a hint to claim.
 */
export class ChangeWatch {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private last = 0;

  constructor(
    private readonly path: string,
    private readonly dataVersion: () => number,
    private readonly onChange: () => void,
    private readonly pollMs: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.last = this.dataVersion();
    this.timer = setInterval(() => this.check(), this.pollMs);
    this.timer.unref();
    if (this.path === ":memory:") return;
    const wal = `${basename(this.path)}-wal`;
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === wal) this.check();
      });
      this.watcher.on("error", () => this.stopWatching());
    } catch {
      // no watch here: the interval alone wakes the node
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopWatching();
  }

  private check(): void {
    let version: number;
    try {
      version = this.dataVersion();
    } catch {
      return; // closed under us: stop() follows
    }
    if (version !== this.last) {
      this.last = version;
      this.onChange();
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
