import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * Notices commits by other processes on the same SQLite file. PRAGMA data_version changes only
 * when another connection committed; reading it is cheap (the WAL index is shared memory).
 * Every commit appends to the -wal file, so an inotify watch on the folder reports it within a
 * fraction of a millisecond; the slower interval is the safety net when watching is impossible
 * (some network filesystems) or an event is missed. Either way it is only a hint to claim.
 *
 * The events come from the commit's writes to the -wal file, but a commit is complete only once
 * its header in the shared-memory index is written, which makes no event: a check made between
 * the two sees no change, and that commit waited for the interval (1-2 % of another process's
 * submits, the p99 of its enqueue-to-start). So an event that finds no change looks again 1 ms
 * later, and once more 5 ms after that.
 */
const recheckAfterMs = [1, 5];
export class ChangeWatch {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private recheck: NodeJS.Timeout | undefined;
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
        if (file === wal && !this.check()) this.recheckSoon(0);
      });
      this.watcher.on("error", () => this.stopWatching());
    } catch {
      // no watch here: the interval alone wakes the node
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = undefined;
    this.stopWatching();
  }

  /** true when another connection committed since the last check (onChange was called) */
  private check(): boolean {
    let version: number;
    try {
      version = this.dataVersion();
    } catch {
      return false; // closed under us: stop() follows
    }
    if (version === this.last) return false;
    this.last = version;
    this.onChange();
    return true;
  }

  /** one recheck pending at most: a busy file sends events far faster than this */
  private recheckSoon(step: number): void {
    const delay = recheckAfterMs[step];
    if (this.recheck || delay === undefined || !this.timer) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      if (!this.check()) this.recheckSoon(step + 1);
    }, delay);
    this.recheck.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
