import type { Pool, PoolClient } from "pg";
import { assertTransition } from "../../core/status.js";
import type { Row } from "../rows.js";
import { transitionParams, type TransitionInput } from "../run-changes.js";
import { insertTransitionSql, insertTransitionsSql, transitionColumns } from "./transition-rows.js";
import { asStoreError } from "./errors.js";

/**
 * One connection's queries, written with SQLite's `?` placeholders so both backends read alike:
 * each text is turned into PostgreSQL's `$1, $2...` once per process.
 */
export class PgConn {
  private ordered = false;
  /** transitions held for one INSERT before the COMMIT (a group commit's transaction), or none */
  private held: TransitionInput[] | undefined;

  constructor(
    private readonly client: Pool | PoolClient,
    /** the advisory lock that puts this store's transition writers in line (see orderTransitions) */
    private readonly transitionLock = 0,
    holdTransitions = false,
  ) {
    if (holdTransitions) this.held = [];
  }

  /** how many transitions wait for flushTransitions (0 when they are written at once) */
  get heldTransitions(): number {
    return this.held?.length ?? 0;
  }

  /** records a transition: at once, or held for flushTransitions */
  async addTransition(t: TransitionInput): Promise<void> {
    if (this.held) {
      this.held.push(t);
      return;
    }
    await this.orderTransitions();
    await this.run(insertTransitionSql, transitionParams(t));
  }

  /**
   * Writes the held transitions in one statement, in the order they were added. The transition
   * lock is taken here, just before the COMMIT, so a batch holds it for one INSERT and the commit
   * rather than from its first write on.
   */
  async flushTransitions(): Promise<void> {
    if (!this.held || this.held.length === 0) return;
    const list = this.held;
    this.held = [];
    await this.orderTransitions();
    await this.run(insertTransitionsSql, transitionColumns(list));
  }

  /**
   * Transition ids must become visible in id order: the event feed pages by `id > cursor`, and a
   * follower that saw id 12 must never later find an 11 committed behind it. A sequence alone
   * hands out ids in call order, not commit order; so a transaction takes this lock before its
   * first transition and keeps it until it has committed, and the next writer's ids come after.
   */
  async orderTransitions(): Promise<void> {
    if (this.ordered) return;
    await this.run("SELECT pg_advisory_xact_lock(?)", [this.transitionLock]);
    this.ordered = true;
  }

  async all<T = Row>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(numbered(text), params)).rows as T[];
  }
  async get<T = Row>(text: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }
  /** how many rows the statement changed */
  async run(text: string, params: unknown[] = []): Promise<number> {
    return (await this.client.query(numbered(text), params)).rowCount ?? 0;
  }
}

const texts = new Map<string, string>();

function numbered(text: string): string {
  let done = texts.get(text);
  if (done === undefined) {
    let n = 0;
    done = text.replace(/\?/g, () => `$${++n}`);
    texts.set(text, done);
  }
  return done;
}

/** Where lease and heartbeat times come from (see PostgresStoreOptions.clock). */
export type LeaseClock = "database" | "caller";

/**
 * The pool, and how every write runs: one transaction on one pooled connection, retried from the
 * start when PostgreSQL chose it as a deadlock victim or could not serialize it.
 */
export class PgContext {
  readonly reader: PgConn;
  private readonly transitionLock: number;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
    readonly clock: LeaseClock,
    /** the server, for messages (its password hidden there) */
    readonly url: string,
    /** awaited before the first query: the migration */
    private readonly ready: () => Promise<void>,
  ) {
    this.reader = new PgConn(pool);
    this.transitionLock = lockKey(`keel:transitions:${schema}`);
  }

  async read<T>(fn: (c: PgConn) => Promise<T>): Promise<T> {
    try {
      await this.ready();
      try {
        return await fn(this.reader);
      } catch (error) {
        // a pooled connection the server dropped while idle (a restart, a proxy's timeout): the
        // pool has discarded it, and a read is safe to run again on a fresh one
        if (!connectionLost(error)) throw error;
        return await fn(this.reader);
      }
    } catch (error) {
      throw asStoreError(error, this.url);
    }
  }

  /**
   * One transaction. `hold`: its transitions go in one INSERT before the COMMIT (the group
   * commit's batches), not one statement each.
   */
  async write<T>(fn: (c: PgConn) => Promise<T>, hold = false): Promise<T> {
    try {
      return await this.transaction(fn, hold);
    } catch (error) {
      throw asStoreError(error, this.url);
    }
  }

  private async transaction<T>(fn: (c: PgConn) => Promise<T>, hold: boolean): Promise<T> {
    await this.ready();
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let xid: string | undefined;
      let done: { result: T } | undefined;
      try {
        // the transaction's id comes with BEGIN, in the same round trip: if the connection is
        // lost before COMMIT's answer, the server can still say whether it committed
        const begun = (await client.query(
          "BEGIN; SELECT txid_current()::text AS xid",
        )) as unknown as {
          rows: { xid: string }[];
        }[];
        xid = begun[1]?.rows[0]?.xid;
        const conn = new PgConn(client, this.transitionLock, hold);
        const result = await fn(conn);
        await conn.flushTransitions();
        done = { result };
        await client.query("COMMIT");
        client.release();
        return result;
      } catch (error) {
        const lost = connectionLost(error);
        if (!lost) await client.query("ROLLBACK").catch(() => undefined);
        // a lost connection is closed, not handed back to the pool
        client.release(lost ? (error as Error) : undefined);
        if (lost && xid !== undefined) {
          // in doubt: a COMMIT sent but not answered may have landed. Ask the server (once it is
          // back) what became of it; a committed write is not made twice, an aborted one is redone
          const outcome = await this.inDoubt(xid, error);
          if (outcome === "committed" && done) return done.result;
          if (outcome === "committed")
            throw new Error(`transaction ${xid} committed without finishing`, { cause: error });
          if (attempt < maxAttempts) continue;
          throw error;
        }
        // nothing of a transaction whose BEGIN failed reached the server: run it again
        const again = lost ? true : retryable(error);
        if (attempt < maxAttempts && again) continue;
        throw error;
      }
    }
  }

  /** set by close(): an in-doubt wait gives up with the connection error */
  closing = false;

  /**
   * What became of a transaction whose connection was lost: asked with backoff (25 ms up to 1 s)
   * until the server answers; "in progress" (the server has not yet seen the connection go) is
   * asked again. A store being closed stops asking and throws the connection error.
   */
  private async inDoubt(xid: string, lost: unknown): Promise<"committed" | "aborted"> {
    let delay = 25;
    for (;;) {
      if (this.closing) throw lost;
      try {
        const row = (
          await this.pool.query<{ s: string | null }>("SELECT txid_status($1::bigint) AS s", [xid])
        ).rows[0];
        if (row?.s === "committed") return "committed";
        if (row?.s !== "in progress") return "aborted";
      } catch (error) {
        if (!connectionLost(error) && !unreachable(error)) throw error;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }

  /**
   * The lease clock's "now", in epoch ms, as SQL: the database's clock, so nodes whose clocks
   * disagree still agree on when a lease runs out; or the caller's `now` (the parameter given).
   */
  nowSql(): string {
    return this.clock === "database"
      ? "(extract(epoch from clock_timestamp()) * 1000)::bigint"
      : "?::bigint";
  }
  /** the parameters that go with nowSql() */
  nowParams(now: number): unknown[] {
    return this.clock === "database" ? [] : [now];
  }

  /** the channel every node of this store listens on for new work; the payload names the schema */
  static readonly channel = "keel_work";
  async notifyWork(c: PgConn): Promise<void> {
    await c.run("SELECT pg_notify(?, ?)", [PgContext.channel, this.schema]);
  }
}

const maxAttempts = 10;

/** a 32-bit key for pg_advisory_xact_lock, the same in every process */
function lockKey(text: string): number {
  let hash = 0;
  for (const ch of text) hash = (Math.imul(hash, 31) + (ch.codePointAt(0) ?? 0)) | 0;
  return hash;
}

/** the connection is gone (the server restarted or dropped it), not the statement refused */
function connectionLost(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  const message = (error as Error | null)?.message ?? "";
  return (
    code === "57P01" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code.startsWith("08") ||
    /Connection terminated|not queryable|connection is closed/i.test(message)
  );
}

/** the server could not be reached at all (it is down, or restarting) */
function unreachable(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  return ["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "57P03"].includes(code);
}

/** deadlock_detected, serialization_failure */
function retryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}

/** Records a status change after core's one check of the transition table (as on SQLite). */
export async function insertTransition(
  c: PgConn,
  t: TransitionInput,
  restore?: "restore",
): Promise<void> {
  if (!restore) assertTransition(t.step === null ? "run" : "step", t.from, t.to, t.runId);
  await c.addTransition(t);
}

/** Tables keyed by name (sources, breakers): every record in name order, or one. */
export async function recordsByName<T>(
  c: PgConn,
  table: "sources" | "breakers",
  map: (row: Row) => T,
): Promise<T[]> {
  return (await c.all(`SELECT * FROM ${table} ORDER BY name`)).map(map);
}

export async function recordByName<T>(
  c: PgConn,
  table: "sources" | "breakers",
  name: string,
  map: (row: Row) => T,
  lock = false,
): Promise<T | undefined> {
  const row = await c.get(`SELECT * FROM ${table} WHERE name = ?${lock ? " FOR UPDATE" : ""}`, [
    name,
  ]);
  return row ? map(row) : undefined;
}
