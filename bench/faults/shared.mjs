// What every recovery scenario shares: a keel on a fresh home with a silent logger, the times of
// its step and settled events (epoch ms from lib/common.mjs's now(), comparable across processes),
// a steady producer of runs, and the checks each trial must pass.
import { statSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { keel } from "../../dist/src/index.js";
import { now, sleep, waitUntil } from "../lib/common.mjs";
import { sqliteDriver } from "../lib/sqlite.mjs";

/** Each fault is held at least this long (and until keel shows it), so recovery starts from a
 * settled outage: hung calls timed out, held writes at their longest backoff, hogs at full load. */
export const FAULT_MIN_MS = 1000;
/** the longest any wait of a trial may take before the trial fails */
export const CAP_MS = 15_000;

/** A keel whose logs go nowhere (stdout carries the result lines), with its events timed. */
export function startKeel(options) {
  const k = keel({ logger: pino({ level: "silent" }), ...options });
  const events = { steps: [], succeeded: new Map(), held: [] };
  k.on("step", (e) => events.steps.push({ ...e, at: now() }));
  k.on("settled", (e) => {
    if (e.ended?.status === "succeeded") events.succeeded.set(e.runId, now());
  });
  k.on("storageFull", () => events.held.push(now()));
  return { k, events };
}

/** time of the first step event at or after `from` that `match` accepts, else null */
export function firstAfter(events, from, match) {
  let first = null;
  for (const e of events.steps)
    if (e.at >= from && match(e) && (first === null || e.at < first)) first = e.at;
  return first;
}

/**
 * Waits for a value (not null) from `get`; a trial that waits longer than CAP_MS fails, its error
 * carrying in `state` what `explain` says about the state it was stuck in.
 */
export async function waitFor(what, get, { capMs = CAP_MS, explain } = {}) {
  let value = null;
  if (await waitUntil(() => (value = get()) !== null, capMs, 2)) return value;
  const error = new Error(`${what}: not within ${capMs / 1000} s`);
  if (explain) error.state = await explain();
  throw error;
}

/** Waits until every run in `runs` settled as succeeded; the time the last one did. */
export async function drained(events, runs, home) {
  return waitFor(
    `all ${runs.length} runs succeeded`,
    () =>
      runs.every((r) => events.succeeded.has(r.id))
        ? Math.max(...runs.map((r) => events.succeeded.get(r.id)))
        : null,
    { explain: () => describeStore(home) },
  );
}

/** what a stuck trial's store holds: runs by status, the unfinished ones, the breakers, its disk */
export async function describeStore(home) {
  const db = await readStore(home);
  try {
    const now = Date.now();
    const statuses = db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all();
    const stuck = db
      .prepare(
        `SELECT r.id, r.status, r.scheduled_for - ? AS due_in_ms, r.deferred_by, r.attempts,
           (SELECT coalesce(step, 'run') || ' ' || to_status || ' ' || reason FROM transitions t
            WHERE t.run_id = r.id ORDER BY t.id DESC LIMIT 1) AS last
         FROM runs r WHERE r.status != 'succeeded' LIMIT 5`,
      )
      .all(now);
    const breakers = db
      .prepare(
        "SELECT name, state, failures, next_attempt_at - ? AS next_in_ms, trial_slots, trial_successes, manual FROM breakers",
      )
      .all(now);
    const breakerChanges = db
      .prepare(
        "SELECT from_state, to_state, reason, ? - at AS ms_ago FROM breaker_transitions ORDER BY id DESC LIMIT 6",
      )
      .all(now);
    const size = (file) => statSync(join(home, file), { throwIfNoEntry: false })?.size ?? null;
    const fs = statfsSync(home);
    const disk = {
      "keel.db": size("keel.db"),
      "keel.db-wal": size("keel.db-wal"),
      free: fs.bavail * fs.bsize,
      total: fs.blocks * fs.bsize,
    };
    return { statuses, stuck, breakers, breakerChanges, disk };
  } finally {
    db.close();
  }
}

/**
 * Submits runs at `perSecond`, counted from the start (a tick every 20 ms submits those due, so a
 * slow submit or a late timer is caught up), until stopped: a backlog that grows while a fault lasts.
 */
export function produce(k, pipeline, input, { perSecond }) {
  const runs = [];
  let on = true;
  let n = 0;
  const started = now();
  const loop = (async () => {
    while (on) {
      const due = Math.floor(((now() - started) * perSecond) / 1000) - n;
      if (due > 0)
        runs.push(
          ...(await k.submitMany(
            pipeline,
            Array.from({ length: due }, () => input(n++)),
          )),
        );
      await sleep(20);
    }
  })();
  return {
    runs,
    /** stops submitting; resolves once a submit in progress has returned */
    async stop() {
      on = false;
      await loop;
    },
  };
}

/** a read-only connection to a home's store, for what the API does not show cheaply */
export async function readStore(home) {
  const { Database } = await sqliteDriver();
  return new Database(join(home, "keel.db"), { readonly: true, fileMustExist: true });
}

/**
 * What every trial must leave behind, or the bench fails: each run succeeded (none lost), each of
 * its steps checkpointed exactly once (one step_results row and one `succeeded` step transition),
 * and a whole store (keel's own integrity check). Throws naming every problem found.
 */
export async function checkTrial(k, home, runs, steps) {
  const problems = [];
  const db = await readStore(home);
  try {
    const statuses = db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all();
    const total = statuses.reduce((sum, s) => sum + s.n, 0);
    const succeeded = statuses.find((s) => s.status === "succeeded")?.n ?? 0;
    if (total !== runs.length)
      problems.push(`${total} runs in the store, ${runs.length} submitted`);
    if (succeeded !== runs.length)
      problems.push(
        `not every run succeeded: ${statuses.map((s) => `${s.status} ${s.n}`).join(", ")}`,
      );
    const checkpoints = db.prepare("SELECT count(*) AS n FROM step_results").get().n;
    if (checkpoints !== runs.length * steps)
      problems.push(`${checkpoints} checkpoints, expected ${runs.length * steps}`);
    const twice = db
      .prepare(
        "SELECT run_id, step, count(*) AS n FROM transitions WHERE step IS NOT NULL AND to_status = 'succeeded' GROUP BY run_id, step HAVING n > 1",
      )
      .all();
    if (twice.length > 0)
      problems.push(
        `checkpointed twice: ${twice
          .slice(0, 5)
          .map((t) => `${t.run_id}/${t.step} x${t.n}`)
          .join(", ")}`,
      );
  } finally {
    db.close();
  }
  const integrity = await k.store.checkIntegrity();
  if (!integrity.ok) problems.push(`integrity check: ${JSON.stringify(integrity.counts)}`);
  if (problems.length > 0) throw new CheckFailed(problems.join("; "));
}

export class CheckFailed extends Error {
  name = "CheckFailed";
}
