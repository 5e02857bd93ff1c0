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
 * submits, the p99 of its enqueue-to-start). So an event that finds no change looks again 1, 2,
 * 3, 5, 8 and 13 ms after it (a commit that restarts the WAL syncs its header in between), and a
 * newer miss starts that over: a commit's writes that came while an older recheck waited for its
 * 5 ms step were heard only then (the slowest 1 % of another process's submits).
 */
const recheckDefaultMs = [1, 2, 3, 5, 8, 13];
export class ChangeWatch {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private recheckDue = 0;
  private lastMissAt = 0;
  private last = 0;

  constructor(
    private readonly path: string,
    private readonly dataVersion: () => number,
    private readonly onChange: () => void,
    private readonly pollMs: number,
    /** when a miss is looked at again, in ms after it */
    private readonly recheckAtMs: readonly number[] = recheckDefaultMs,
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
        if (file === wal && !this.check()) this.missed();
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
  private missed(): void {
    const now = performance.now();
    this.lastMissAt = now;
    const due = now + (this.recheckAtMs[0] ?? 1);
    if (!this.recheck || this.recheckDue > due) this.recheckAt(due, now);
  }

  private recheckAt(due: number, now: number): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheckDue = due;
    this.recheck = setTimeout(() => this.recheckNow(), Math.max(1, due - now));
    this.recheck.unref();
  }

  private recheckNow(): void {
    this.recheck = undefined;
    if (!this.timer || this.check()) return;
    const now = performance.now();
    const next = this.recheckAtMs.find((at) => this.lastMissAt + at > now);
    if (next !== undefined) this.recheckAt(this.lastMissAt + next, now);
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
