import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { driverPackage } from "./driver.js";

/**
 * A connection of its own on a worker thread, for long work on the store file (a page-by-page
 * check, an index rebuild) that must not hold the node's event loop. It is opened fresh, so it
 * reads the pages as they are on disk, not as some connection's cache remembers them. Each call is
 * one message; an SQLite error comes back as an Error with its `code`.
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
let db;
const fail = (id, e) => parentPort.postMessage({ id, ok: false, code: (e && e.code) || null, message: String((e && e.message) || e) });
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.path, { readonly: workerData.readonly, fileMustExist: true });
  db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
  parentPort.postMessage({ id: 0, ok: true, value: null });
} catch (e) { fail(0, e); }
parentPort.on("message", ({ id, op, sql, params, on }) => {
  try {
    let value = null;
    if (op === "all") value = db.prepare(sql).all(...params);
    else if (op === "run") value = db.prepare(sql).run(...params).changes;
    else if (op === "exec") db.exec(sql);
    else if (op === "unsafe") db.unsafeMode(on);
    else if (op === "close") { if (db.open) db.close(); }
    parentPort.postMessage({ id, ok: true, value });
  } catch (e) { fail(id, e); }
});
`;

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  code?: string | null;
  message?: string;
}

export class WorkerConnectionError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "WorkerConnectionError";
  }
}

export class WorkerConnection {
  private next = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private exited: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (reply: Reply) => this.settle(reply));
    const end = (error: Error): void => {
      this.exited ??= error;
      for (const [id] of this.waiting) this.settle({ id, ok: false, message: error.message });
    };
    worker.on("error", end);
    worker.on("exit", (code) => end(new Error(`the store's worker thread exited (code ${code})`)));
  }

  static async open(
    path: string,
    options: { readonly: boolean; busyTimeoutMs?: number },
  ): Promise<WorkerConnection> {
    const driver = createRequire(import.meta.url).resolve(driverPackage);
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        driver,
        path,
        readonly: options.readonly,
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      },
    });
    const connection = new WorkerConnection(worker);
    try {
      await connection.call({ id: 0 });
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return connection;
  }

  all<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    return this.send({ op: "all", sql, params }) as Promise<T[]>;
  }

  run(sql: string, ...params: unknown[]): Promise<number> {
    return this.send({ op: "run", sql, params }) as Promise<number>;
  }

  async exec(sql: string): Promise<void> {
    await this.send({ op: "exec", sql });
  }

  /** SQLite's defensive mode off (true) or back on: only a repair needs it, for sqlite_schema */
  async unsafe(on: boolean): Promise<void> {
    await this.send({ op: "unsafe", on });
  }

  /** Closes the connection, then ends the thread; safe to call twice or after a failure. */
  async close(): Promise<void> {
    if (!this.exited) await this.send({ op: "close" }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(message: Record<string, unknown>): Promise<unknown> {
    const id = this.next++;
    if (this.exited) return Promise.reject(this.exited);
    const reply = this.call({ id });
    this.worker.postMessage({ id, params: [], ...message });
    return reply;
  }

  private call({ id }: { id: number }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) =>
        reply.ok
          ? resolve(reply.value)
          : reject(new WorkerConnectionError(reply.message ?? "failed", reply.code ?? null)),
      );
    });
  }

  private settle(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    waiter?.(reply);
  }
}
