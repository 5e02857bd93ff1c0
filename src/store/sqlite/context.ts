import type Database from "better-sqlite3";
import { assertTransition } from "../../core/status.js";
import type { Row } from "../rows.js";
import { transitionParams, type TransitionInput } from "../run-changes.js";
import { asStoreFull } from "./disk-full.js";
import type { SqliteDb } from "./open.js";
import { StorageGuard } from "./storage-guard.js";

/**
 * The connection plus a cache of prepared statements: each query is parsed once per process. Every
 * query runs through `read` or `write`, so damage met anywhere fences the file (storage-guard.ts).
 */
export class SqliteContext {
  private readonly statements = new Map<string, Database.Statement>();
  // one transaction wrapper for every write; nested calls become savepoints (except when joined)
  private readonly transaction: Database.Transaction<(fn: () => unknown) => unknown>;
  /** told of each write that failed for a full disk (the store checkpoints to win space back) */
  onFull: (() => void) | undefined;
  readonly storage: StorageGuard;

  private readonly busyTimeoutMs: number;
  /** inside a shared transaction that runs its writes without savepoints (group-commit.ts) */
  private flat = false;
  /** the last transition id handed out in the current transaction; read anew in each one */
  private lastTransitionId: number | undefined;

  constructor(
    readonly db: SqliteDb,
    path: string = db.name,
  ) {
    this.busyTimeoutMs = db.pragma("busy_timeout", { simple: true }) as number;
    this.transaction = db.transaction((fn: () => unknown) => fn());
    this.storage = new StorageGuard(path);
  }

  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** BEGIN IMMEDIATE: takes the write lock up front, so two processes never deadlock upgrading a read. */
  write<T>(fn: () => T): T {
    this.storage.assertWritable();
    if (this.flat && this.db.inTransaction) return fn();
    try {
      if (this.db.inTransaction) return this.transaction.immediate(fn) as T;
      // another process may have written transitions since this connection's last transaction
      this.lastTransitionId = undefined;
      return this.beginSoon(() => this.transaction.immediate(fn) as T);
    } catch (error) {
      const full = asStoreFull(error);
      if (full) {
        if (full !== error) this.onFull?.();
        throw full;
      }
      throw this.storage.failure(error);
    }
  }

  /**
   * Runs a transaction whose BEGIN may find the write lock taken by another process. SQLite's own
   * busy handler sleeps at least 1 ms, then 2, then 5, while a commit holds the lock for a few
   * tenths of a millisecond: beside a busy node every colliding submit lost a millisecond or more
   * (the enqueue-to-start p95 from another process). So the first tries wait 50 us at a time,
   * for up to 2 ms, before the connection's busy timeout takes over.
   */
  private beginSoon<T>(run: () => T): T {
    const deadline = performance.now() + shortWaitMs;
    this.sql("PRAGMA busy_timeout = 0").get();
    try {
      for (;;) {
        try {
          return run();
        } catch (error) {
          // a BUSY from BEGIN: nothing ran (a statement inside would have had the lock)
          if (!isBusy(error) || this.db.inTransaction || performance.now() > deadline) {
            if (!isBusy(error) || this.db.inTransaction) throw error;
            break;
          }
          Atomics.wait(pause, 0, 0, shortWaitStepMs);
        }
      }
    } finally {
      this.sql(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`).get();
    }
    return run();
  }

  /**
   * Runs `fn` inside the current transaction with nested writes joined to it instead of each in a
   * savepoint. A savepoint copies every page its write touches into a sub-journal first, which
   * was about 5 % of a node's time draining a queue. An error inside rolls back only as far as
   * the caller decides (the group commit rolls the whole transaction back and runs its writes
   * again, each in its own savepoint).
   */
  joined<T>(fn: () => T): T {
    const outer = this.flat;
    this.flat = true;
    try {
      return fn();
    } finally {
      this.flat = outer;
    }
  }

  /**
   * The id for a new transition: above the newest row and above the high-water a purge leaves
   * (migration 008), so no id is ever handed out twice, even after the newest rows were purged.
   * Read once per transaction (the transaction holds the write lock, so no one else hands out ids
   * meanwhile); an id taken in a savepoint that rolls back is skipped, never reused.
   */
  nextTransitionId(): number {
    this.lastTransitionId ??= (
      this.sql(
        `SELECT max(coalesce((SELECT max(id) FROM transitions), 0),
                    coalesce((SELECT high_water FROM transition_ids), 0)) AS id`,
      ).get() as { id: number }
    ).id;
    return ++this.lastTransitionId;
  }

  /** Queries that only read: they go on while the file is fenced, but report the damage they meet. */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw this.storage.failure(error);
    }
  }
}

const rowBuilders = new WeakMap<Database.Statement, (values: unknown[]) => Row>();

/**
 * The row object of a statement run with `.raw(true)`: its values keyed by its column names. The
 * builder is compiled once per statement into one object literal, so every row has the same
 * fixed shape; added key by key, a row of the runs table's 26 columns went to a slow dictionary
 * object, twice the bytes of a claim and its own share of the collector's time.
 */
export function rowFromValues(statement: Database.Statement, values: unknown[]): Row {
  let build = rowBuilders.get(statement);
  if (!build) {
    const fields = statement
      .columns()
      .map((c, i) => `${JSON.stringify(c.name)}: v[${i}]`)
      .join(", ");
    build = new Function("v", `return { ${fields} };`) as (values: unknown[]) => Row;
    rowBuilders.set(statement, build);
  }
  return build(values);
}

const shortWaitMs = 2;
const shortWaitStepMs = 0.05;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** a lock SQLite gave up on (SQLITE_BUSY and its extended codes) */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * Records a status change, after the one check of the transition table (core/status.ts): an
 * illegal pair throws and the caller's transaction rolls back whatever it already changed.
 * `restore` is the integrity repair's, which sets back the status the trail already records.
 */
export function insertTransition(
  ctx: SqliteContext,
  t: TransitionInput,
  restore?: "restore",
): void {
  if (!restore) assertTransition(t.step === null ? "run" : "step", t.from, t.to, t.runId);
  ctx
    .sql(
      "INSERT INTO transitions (id, run_id, step, from_status, to_status, reason, actor, at, trace_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .run(ctx.nextTransitionId(), ...transitionParams(t));
}

/** Tables keyed by name (sources, breakers): every record in name order, or one. */
export function recordsByName<T>(
  ctx: SqliteContext,
  table: "sources" | "breakers",
  map: (row: Row) => T,
): T[] {
  return (ctx.sql(`SELECT * FROM ${table} ORDER BY name`).all() as Row[]).map(map);
}

export function recordByName<T>(
  ctx: SqliteContext,
  table: "sources" | "breakers",
  name: string,
  map: (row: Row) => T,
): T | undefined {
  const row = ctx.sql(`SELECT * FROM ${table} WHERE name = ?`).get(name) as Row | undefined;
  return row ? map(row) : undefined;
}
