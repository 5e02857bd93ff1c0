import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { driverPackage } from "./driver.js";
import type { SqliteDb } from "./open.js";

/**
 * Moves WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever
 * commit crosses 1000 WAL pages and fsyncs the database file there: a few milliseconds that land
 * on one unlucky write (the p99 of enqueue-to-start). A worker thread with its own connection runs
 * PASSIVE checkpoints instead, which never block writers. If the worker cannot start or dies, the
 * automatic checkpoint is switched back on. Durability of commits is unchanged.
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
const timer = setInterval(() => {
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch (error) { parentPort.postMessage({ error: String(error) }); }
}, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message === "stop") { clearInterval(timer); db.close(); process.exit(0); }
});
`;

export class Checkpointer {
  private worker: Worker | undefined;

  constructor(
    private readonly db: SqliteDb,
    private readonly path: string,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    if (this.path === ":memory:") return;
    try {
      const driver = createRequire(import.meta.url).resolve(driverPackage);
      this.worker = new Worker(workerSource, {
        eval: true,
        workerData: { driver, path: this.path, intervalMs: this.intervalMs },
      });
    } catch {
      return; // keep SQLite's automatic checkpoint
    }
    this.db.pragma("wal_autocheckpoint = 0");
    this.worker.unref();
    this.worker.on("error", () => this.fallBack());
    this.worker.on("exit", () => this.fallBack());
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
