import { isBusy, type SqliteContext } from "./context.js";

/**
 * Group commit: writes asked for in the same turn of the event loop share one transaction. They run
 * joined (no savepoints) and, if one fails, again each in its own savepoint, so one write's error
 * rolls back only that write. A write's promise settles only after the shared COMMIT: nothing is
 * acknowledged before it is on disk.
 */
interface PendingWrite {
  fn: () => unknown;
  /** fn is all-or-nothing by itself (it runs its own context.write): no extra savepoint around it */
  atomic: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** a write of a joined batch failed: the batch runs again, each write in its own savepoint */
class JoinedWriteFailed {
  constructor(readonly cause: unknown) {}
}

/** how long a batch that met a busy lock is tried again, like the connection's busy_timeout */
const busyRetryMs = 5000;

export class GroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private lastBatch = 0;
  /** when the batch being retried first met a busy lock */
  private busySince: number | undefined;

  constructor(private readonly ctx: SqliteContext) {}

  /**
   * Queues `fn` for the next commit. `atomic`: fn wraps all its statements in context.write
   * already, so the savepoint the batch would put around it is one too many (the hot writes of a
   * run: claim, step start, checkpoint, failure).
   */
  write<T>(fn: () => T, atomic = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, atomic, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // Under load, wait one turn of the event loop so concurrent writers share the commit;
        // when writes come one at a time, commit at the end of this tick instead of paying a turn.
        if (this.lastBatch > 1) setImmediate(() => this.flush());
        else queueMicrotask(() => this.flush());
      }
    });
  }

  /** Commits everything queued now; the store calls it before closing. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.lastBatch = batch.length;
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.joined(batch) ?? this.isolated(batch);
    } catch (error) {
      const now = Date.now();
      if (isBusy(error) && now - (this.busySince ??= now) < busyRetryMs) {
        // a lock SQLite gave up on without waiting (the checkpoint thread resetting the WAL
        // between the read snapshot and the write lock): nothing was written, so run the same
        // batch again in a moment, ahead of newer writes
        this.queue = [...batch, ...this.queue];
        this.scheduled = true;
        setTimeout(() => this.flush(), 1);
        return;
      }
      this.busySince = undefined;
      // the COMMIT itself failed (disk full, locked past the busy timeout, a damaged file):
      // nothing was written (context.write has typed a full disk or a damaged file already)
      for (const op of batch) op.reject(error);
      return;
    }
    this.busySince = undefined;
    batch.forEach((op, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }

  /**
   * The usual case: every write straight into one transaction, without savepoints. undefined when
   * one of them failed: the transaction is rolled back whole, and the batch runs again isolated,
   * so only that write fails (and its error is typed as it is when it runs alone).
   */
  private joined(batch: PendingWrite[]): Outcome[] | undefined {
    try {
      return this.ctx.write(() => {
        const outcomes = this.ctx.joined(() =>
          batch.map((op): Outcome => {
            try {
              return { ok: true, value: op.fn() };
            } catch (error) {
              throw new JoinedWriteFailed(error);
            }
          }),
        );
        this.ctx.storage.assertWritable();
        return outcomes;
      });
    } catch (error) {
      if (error instanceof JoinedWriteFailed) return undefined;
      throw error;
    }
  }

  /** Each write in its own savepoint: one write's error rolls back only that write. */
  private isolated(batch: PendingWrite[]): Outcome[] {
    const outcomes: Outcome[] = [];
    this.ctx.write(() => {
      for (const op of batch) {
        try {
          outcomes.push({ ok: true, value: op.atomic ? op.fn() : this.ctx.write(op.fn) });
        } catch (error) {
          // SQLite may roll the whole transaction back by itself (disk full, I/O error): then
          // the writes before this one are gone too, and none may be acknowledged
          if (!this.ctx.db.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      // one write ran into a damaged page: the batch is rolled back whole, so nothing more is
      // committed to the file (and nothing acknowledged that a restore would drop)
      this.ctx.storage.assertWritable();
    });
    return outcomes;
  }
}
