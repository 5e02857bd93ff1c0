import { isKeelError } from "../../core/errors/keel-error.js";
import { completeSteps, type Completion } from "./completions.js";
import type { PgConn, PgContext } from "./context.js";

/**
 * Group commit: the fenced writes and claims a node asks for while the previous batch commits
 * share the next transaction, on one connection, with their transitions in one INSERT before the
 * COMMIT (PgConn's held transitions). A write's promise settles only after that COMMIT: nothing is
 * acknowledged before it is durable.
 *
 * Every write queued here fences first: its first statement updates its run under the lease
 * epoch, and a stale lease updates nothing and throws LeaseLostError before the write has changed
 * anything. So a stale write is refused alone, inside the batch, and the others commit. Any other
 * error has aborted the transaction: it is rolled back whole, and the batch runs again with each
 * write in a transaction of its own, so only the failing write fails (as its error when alone).
 *
 * Checkpoints queued one after another, of different runs, go in one statement (completions.ts):
 * a batch of a draining node costs a handful of round trips, whatever number of runs it carries.
 */
interface PendingWrite {
  fn: (c: PgConn) => Promise<unknown>;
  /** a checkpoint, which may share one statement with its neighbours' */
  completion?: Completion;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** a write of a joined batch failed: the batch runs again, each write on its own */
class JoinedWriteFailed {
  constructor(readonly cause: unknown) {}
}

export class PgGroupCommit {
  private queue: PendingWrite[] = [];
  private scheduled = false;
  private busy = false;
  private idle: (() => void)[] = [];

  constructor(private readonly ctx: PgContext) {}

  /** Queues `fn` (a fenced write or a claim) for the next batch. */
  write<T>(fn: (c: PgConn) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        fn,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.schedule();
    });
  }

  /** Queues a checkpoint: `fn` writes it alone (when the batch runs isolated). */
  complete(completion: Completion, fn: (c: PgConn) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ fn, completion, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** resolves once nothing is queued or committing (the store waits for it before closing) */
  settled(): Promise<void> {
    if (!this.busy && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.busy) return;
    this.scheduled = true;
    // one turn of the event loop: the writes of the runs that finish together join one batch
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.wakeIdle();
    this.busy = true;
    try {
      const outcomes = (await this.joined(batch)) ?? (await this.isolated(batch));
      batch.forEach((op, i) => {
        const outcome = outcomes[i] as Outcome;
        if (outcome.ok) op.resolve(outcome.value);
        else op.reject(outcome.error);
      });
    } catch (error) {
      // the COMMIT itself failed, or the server stayed unreachable: nothing of the batch is known
      // to be written, and none of it is acknowledged
      for (const op of batch) op.reject(error);
    } finally {
      this.busy = false;
      // writes queued while this batch committed form the next one at once
      if (this.queue.length > 0) this.schedule();
      else this.wakeIdle();
    }
  }

  private wakeIdle(): void {
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /**
   * The usual case: the whole batch in one transaction. undefined when a write failed with
   * anything but a refused lease: the transaction was rolled back, to be run isolated.
   */
  private async joined(batch: PendingWrite[]): Promise<Outcome[] | undefined> {
    try {
      return await this.ctx.write(async (c) => {
        // made inside: a transaction retried after a deadlock runs every write again
        const outcomes: Outcome[] = [];
        for (let at = 0; at < batch.length;) {
          const group = completionGroup(batch, at);
          if (group.length > 0) {
            outcomes.push(...(await this.completions(c, group)));
            at += group.length;
            continue;
          }
          outcomes.push(await this.one(c, batch[at] as PendingWrite));
          at += 1;
        }
        return outcomes;
      }, true);
    } catch (error) {
      if (error instanceof JoinedWriteFailed) return undefined;
      throw error;
    }
  }

  /** one write of the joined batch; a refused lease is its outcome, anything else fails the batch */
  private async one(c: PgConn, op: PendingWrite): Promise<Outcome> {
    const held = c.heldTransitions;
    try {
      return { ok: true, value: await op.fn(c) };
    } catch (error) {
      if (refusedBeforeWriting(error) && c.heldTransitions === held) return { ok: false, error };
      // a lost connection, a deadlock: the transaction's own retry handles the batch whole
      throw ownError(error) ? new JoinedWriteFailed(error) : error;
    }
  }

  /** checkpoints of different runs in one statement; each refused lease is its own outcome */
  private async completions(c: PgConn, group: PendingWrite[]): Promise<Outcome[]> {
    try {
      const refused = await completeSteps(
        c,
        group.map((op) => op.completion as Completion),
      );
      return refused.map((error) =>
        error ? { ok: false, error } : { ok: true, value: undefined },
      );
    } catch (error) {
      throw ownError(error) ? new JoinedWriteFailed(error) : error;
    }
  }

  /** Each write in its own transaction: one write's error fails only that write. */
  private async isolated(batch: PendingWrite[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const op of batch) {
      try {
        outcomes.push({ ok: true, value: await this.ctx.write(op.fn) });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
    return outcomes;
  }
}

/** the checkpoints queued from `at` on, up to the first other write or a run met twice */
function completionGroup(batch: PendingWrite[], at: number): PendingWrite[] {
  const group: PendingWrite[] = [];
  const runs = new Set<string>();
  for (let i = at; i < batch.length; i++) {
    const completion = batch[i]?.completion;
    if (!completion || runs.has(completion.lease.runId)) break;
    runs.add(completion.lease.runId);
    group.push(batch[i] as PendingWrite);
  }
  return group;
}

/**
 * An error of this write alone: keel's own (an illegal transition), a statement the server refused
 * (a constraint), a value that cannot be sent. Not a lost connection (08xxx, 57xxx, a socket
 * error), a deadlock or a serialization failure (40xxx): those are the transaction's, which the
 * context runs again whole.
 */
function ownError(error: unknown): boolean {
  if (isKeelError(error)) return true;
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  const message = (error as Error | null)?.message ?? "";
  if (/^(08|57|40)/.test(code) || /^E[A-Z]+$/.test(code)) return false;
  return !/Connection terminated|not queryable|connection is closed/i.test(message);
}

/** the fence found the lease moved on: its first statement changed nothing */
function refusedBeforeWriting(error: unknown): boolean {
  return isKeelError(error) && error.code === "lease_lost";
}
