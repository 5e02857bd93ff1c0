import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import { driverPackage } from "./driver.js";
import {
  freeBytes,
  walFreeShare,
  walLimitBytes,
  walLimitFor,
  walMaxBytes,
  setWalBounds,
  type SqliteDb,
} from "./open.js";

/**
 * Moves WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever
 * commit crosses 1000 WAL pages and fsyncs the database file there: a few milliseconds that land
 * on one unlucky write (the p99 of enqueue-to-start). A worker thread with its own connection runs
 * PASSIVE checkpoints instead, which never block writers. If the worker cannot start or dies, the
 * automatic checkpoint is switched back on. Durability of commits is unchanged.
 *
 * A PASSIVE checkpoint cannot reset the WAL while the node writes without pause (a backlog
 * draining): the WAL then only grows, and on a small disk it takes the space the database file
 * needs to absorb it, after which nothing can be written again. So the worker also looks at the
 * WAL's size every `tickMs` and, past its limit, brings it back to its start (`cutWal`). The limit
 * is a 32nd of the disk's free space, between 1 and 16 MiB (`walLimitFor`), read with statfs on
 * each tick: 1 MiB on a small or nearly full disk, and on a roomy one few enough cuts that the
 * node's writes rarely wait. Should the node's writes keep the worker from the write lock,
 * SQLite's own checkpoint stays on at twice the limit as the backstop (the worker tells the node
 * when the limit changes). After a write failed for a full disk, the worker tries TRUNCATE every
 * tick until one succeeds, so the WAL's space returns as soon as the disk has room for the
 * database to grow.
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { statSync, statfsSync } = require("node:fs");
const { dirname } = require("node:path");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
// a TRUNCATE holds the write lock while it waits for readers, and the node's writes wait with
// it: give up after a moment (the next tick tries again) rather than stall the node
db.pragma("busy_timeout = 10");
const wal = workerData.path + "-wal";
let last = 0;
let quietUntil = 0;
let reclaiming = false;
let limitBytes = workerData.limitBytes;
let cutAtBytes = -1;
const walBytes = () => { try { return statSync(wal).size; } catch { return 0; } };
const walLimitFor = ${walLimitFor.toString()};
const freeBytes = ${freeBytes.toString()};
function currentLimit() {
  const free = freeBytes(dirname(workerData.path), statfsSync);
  return walLimitFor(free, workerData.minBytes, workerData.maxBytes, workerData.freeShare);
}
const pageSize = db.pragma("page_size", { simple: true });
const cutWal = ${cutWal.toString()};
function shrink() {
  const checkpoint = (mode) => db.pragma("wal_checkpoint(" + mode + ")")[0];
  return cutWal(checkpoint, {
    pageSize,
    limitBytes,
    passes: workerData.passes,
    truncate: reclaiming || limitBytes <= workerData.minBytes,
    copyFirst: !reclaiming,
  });
}
function tick() {
  const now = Date.now();
  const limit = currentLimit();
  if (limit !== limitBytes) { limitBytes = limit; parentPort.postMessage({ limitBytes }); }
  // a WAL restarted from its start keeps its file's size until it outgrows it: a file that has
  // not changed since the last cut holds nothing new to copy
  const size = walBytes();
  const big = now >= quietUntil && size > limitBytes && size !== cutAtBytes;
  if (!big && !reclaiming && now - last < workerData.intervalMs) return;
  last = now;
  try {
    const [result] = big || reclaiming ? [shrink()] : db.pragma("wal_checkpoint(PASSIVE)");
    // a reader (a backup) or the node's own write kept the WAL from being cut: do not hold up the
    // node's writes every tick while it lasts; the backstop covers the interval
    if (result.busy === 1) quietUntil = now + workerData.intervalMs;
    else {
      if (big) cutAtBytes = size;
      if (reclaiming) { reclaiming = false; parentPort.postMessage("reclaimed"); }
    }
  } catch {
    // SQLITE_FULL: the database file could not grow to take the WAL's pages; try again next tick
    reclaiming = true;
  }
}
const timer = setInterval(tick, workerData.tickMs);
parentPort.on("message", (message) => {
  if (message === "reclaim") { reclaiming = true; tick(); }
  if (message === "stop") { clearInterval(timer); db.close(); process.exit(0); }
});
`;

/** PASSIVE passes over a big WAL before it is cut with RESTART (see cutWal) */
const walCutPasses = 4;

export interface WalCheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface WalCutOptions {
  pageSize: number;
  limitBytes: number;
  /** PASSIVE passes before RESTART */
  passes: number;
  /** cut the file to zero bytes (space is short or being won back) */
  truncate: boolean;
  /** copy without blocking before a TRUNCATE (not while winning space back: it failed already) */
  copyFirst: boolean;
}

/**
 * Brings a big WAL back to its start. PASSIVE checkpoints, which never hold up a write, copy it
 * until one finds nothing new since the last: the next write then starts the WAL over by itself.
 * Each pass copies what arrived during the one before, so under a steady rate of submits this
 * settles in two or three passes. Only a WAL that keeps growing without pause (a backlog
 * draining) is cut with RESTART, which holds every write (the node's, a producer's submit) while
 * it copies the last commits and syncs: 4-25 ms here, the slowest enqueue-to-start from another
 * process while it was the only way. Where space is short or being won back, TRUNCATE cuts the
 * file to zero bytes. Self-contained: the checkpoint thread runs it from its source text.
 */
export function cutWal(
  checkpoint: (mode: "PASSIVE" | "RESTART" | "TRUNCATE") => WalCheckpointResult,
  options: WalCutOptions,
): WalCheckpointResult {
  if (options.truncate) {
    if (options.copyFirst) checkpoint("PASSIVE");
    return checkpoint("TRUNCATE");
  }
  let previous = -1;
  for (let pass = 0; pass < options.passes; pass++) {
    const result = checkpoint("PASSIVE");
    const settled = result.busy === 0 && result.log === result.checkpointed;
    const small = result.log * options.pageSize <= options.limitBytes;
    if (settled && (result.log === previous || small)) return result;
    previous = result.log;
  }
  return checkpoint("RESTART");
}

export class Checkpointer {
  private worker: Worker | undefined;

  constructor(
    private readonly db: SqliteDb,
    private readonly path: string,
    /** told when a TRUNCATE after a full disk went through: writes may succeed again */
    private readonly onReclaimed: () => void = () => {},
    private readonly intervalMs = 250,
    private readonly tickMs = 20,
  ) {}

  start(): void {
    if (this.path === ":memory:") return;
    // the limit the connection was opened with (open.ts): starting from the smallest instead made
    // the node's first commit checkpoint a producer's backlog itself (15-18 ms after 5000 submits)
    // until the thread's first tick raised it again
    const limitBytes = walLimitFor(freeBytes(dirname(this.path)));
    try {
      const driver = createRequire(import.meta.url).resolve(driverPackage);
      this.worker = new Worker(workerSource, {
        eval: true,
        workerData: {
          driver,
          path: this.path,
          intervalMs: this.intervalMs,
          tickMs: this.tickMs,
          limitBytes,
          minBytes: walLimitBytes,
          maxBytes: walMaxBytes,
          freeShare: walFreeShare,
          passes: walCutPasses,
        },
      });
    } catch {
      return; // keep SQLite's automatic checkpoint
    }
    this.setBackstop(limitBytes);
    this.worker.unref();
    this.worker.on("message", (message: unknown) => {
      if (message === "reclaimed") this.onReclaimed();
      else if (typeof message === "object" && message !== null && "limitBytes" in message)
        this.setBackstop((message as { limitBytes: number }).limitBytes);
    });
    this.worker.on("error", () => this.fallBack());
    this.worker.on("exit", () => this.fallBack());
  }

  /** SQLite's own checkpoint at twice the worker's limit: it runs only if the worker falls behind */
  private setBackstop(limitBytes: number): void {
    if (!this.db.open || !this.worker) return;
    setWalBounds(this.db, limitBytes);
  }

  /** A write failed for a full disk: give the WAL's space back as soon as a checkpoint can. */
  reclaim(): void {
    this.worker?.postMessage("reclaim");
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    // held by a ref until it has closed its connection: an unref'd worker would let the process
    // run out of work and exit in the middle of close()
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage("stop");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
    ]);
    clearTimeout(timer);
    await worker.terminate();
  }

  private fallBack(): void {
    if (!this.db.open) return;
    this.worker = undefined;
    this.db.pragma("wal_autocheckpoint = 1000");
  }
}
