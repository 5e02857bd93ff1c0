// What a node could drain if its store's SQL ran on a second thread, beside the engine's work on
// the runs it holds claimed ahead. The SQL of a drained one-step run (as sql-floor.mjs runs it:
// the finish, its three transitions and step_results row, then the next claim, its transitions and
// checkpoint read, K runs per commit) runs either on this thread, taking turns with a stand-in for
// the engine (each claimed row made into an object, its input parsed, then X us of busy work), or
// on a worker thread with two commits in flight, so one commits while this thread works on the
// runs the other claimed. It prints runs/s and the busy time per run of each thread.
//   npm run build && node bench/tools/thread-split.mjs
//   K=20 X=45 N=20000 MODES=thread,worker ROUNDS=2 node bench/tools/thread-split.mjs
// X stands in for what stays on the node's thread: the engine's JavaScript, the collector and the
// store's own JavaScript (about 35-45 us per run in a profile of a drain at concurrency 10).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { SqliteStore } from "../../dist/src/store/sqlite/sqlite-store.js";
import { openSqlite } from "../../dist/src/store/sqlite/open.js";
import { queueNoopRuns } from "./queued-runs.mjs";
import {
  claimDrainRuns,
  drainTransitions,
  finishDrainRun,
  prepareDrainStatements,
} from "./drain-statements.mjs";

/** the hot statements of a drain on one connection: `turn` finishes held runs and claims k more */
function drainSql(path) {
  const db = openSqlite({ path, durability: "normal" });
  const node = "bench-host-1-a1b2c3";
  const st = prepareDrainStatements(db);
  /** the trace ids of the runs claimed and not finished yet (the store's lease carries it) */
  const traces = new Map();
  const names = st.pick.columns().map((c) => c.name);
  /** finished: [id, epoch, id, epoch, ...] */
  function turn(finished, k) {
    st.begin.run();
    for (let i = 0; i < finished.length; i += 2) {
      const [id, epoch] = [finished[i], finished[i + 1]];
      const at = Date.now();
      const trace = finishDrainRun(
        st,
        { id, epoch, traceId: traces.get(id) },
        node,
        at,
        '{"noop":null}',
      );
      traces.delete(id);
      st.transition.run(...drainTransitions.started(id, node, at, trace));
      st.stepResult.run(id, "noop", "null", "hash", 1, node, at, at, 0);
      st.transition.run(...drainTransitions.checkpoint(id, node, at, trace));
      st.transition.run(...drainTransitions.completed(id, node, at, trace));
    }
    const at = Date.now();
    const claimed = k > 0 ? claimDrainRuns(st, node, at, k) : [];
    for (const run of claimed) {
      traces.set(run.id, run.traceId);
      st.transition.run(...drainTransitions.claimed(run.id, node, at, run.traceId, run.epoch));
    }
    if (claimed.length > 0) st.checkpoints.all(JSON.stringify(claimed.map((run) => run.id)));
    st.commit.run();
    return claimed.map((run) => run.row);
  }
  return { turn, names, close: () => db.close() };
}

if (!isMainThread) {
  const sql = drainSql(workerData.path);
  let busyMs = 0;
  parentPort.on("message", (m) => {
    if (m.stop) {
      sql.close();
      parentPort.postMessage({ busyMs });
      return;
    }
    const t = performance.now();
    parentPort.postMessage(sql.turn(m.finished, m.k));
    busyMs += performance.now() - t;
  });
} else {
  const N = Number(process.env.N ?? 20000);
  const K = Number(process.env.K ?? 40);
  const X = Number(process.env.X ?? 40);
  const modes = (process.env.MODES ?? "thread,worker").split(",");
  const rounds = Number(process.env.ROUNDS ?? 2);
  for (let r = 0; r < rounds; r++)
    for (const mode of modes) console.log(JSON.stringify(await once(mode)));

  async function once(mode) {
    const dir = mkdtempSync(join(tmpdir(), "thread-split-"));
    const path = join(dir, "keel.db");
    try {
      await fill(path);
      const probe = drainSql(path);
      const names = probe.names;
      probe.close();
      const engine = { busyMs: 0, done: 0 };
      /** the stand-in for the engine: row -> run object, input parsed, X us of work */
      const work = (rows) => {
        const t = performance.now();
        const finished = [];
        for (const row of rows) {
          const run = {};
          for (let c = 0; c < names.length; c++) run[names[c]] = row[c];
          run.input = JSON.parse(run.input);
          const end = performance.now() + X / 1000;
          while (performance.now() < end);
          finished.push(run.id, run.lease_epoch);
        }
        engine.busyMs += performance.now() - t;
        engine.done += rows.length;
        return finished;
      };
      const t0 = performance.now();
      const storeBusyMs = mode === "worker" ? await onWorker(path, work) : inThread(path, work);
      const wallMs = performance.now() - t0;
      const perRun = (ms) => Math.round((ms / engine.done) * 10_000) / 10;
      return {
        mode,
        runs: engine.done,
        per_commit: K,
        engine_us: X,
        runs_per_s: Math.round((engine.done / wallMs) * 1000),
        wall_us_per_run: perRun(wallMs),
        node_thread_us_per_run: mode === "worker" ? perRun(engine.busyMs) : perRun(wallMs),
        store_us_per_run: perRun(storeBusyMs),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    function inThread(file, work) {
      const sql = drainSql(file);
      let storeMs = 0;
      let t = performance.now();
      let rows = sql.turn([], K);
      storeMs += performance.now() - t;
      while (rows.length > 0) {
        const finished = work(rows);
        t = performance.now();
        rows = sql.turn(finished, K);
        storeMs += performance.now() - t;
      }
      sql.close();
      return storeMs;
    }

    async function onWorker(file, work) {
      const worker = new Worker(new URL(import.meta.url), { workerData: { path: file } });
      let inFlight = 2;
      await new Promise((resolve, reject) => {
        worker.on("error", reject);
        worker.on("message", (rows) => {
          inFlight--;
          if (rows.length > 0) {
            worker.postMessage({ finished: work(rows), k: K });
            inFlight++;
          } else if (inFlight === 0) resolve();
        });
        // two commits in flight: one claims while this thread works on the other's runs
        worker.postMessage({ finished: [], k: K });
        worker.postMessage({ finished: [], k: K });
      });
      const { busyMs } = await new Promise((resolve) => {
        worker.removeAllListeners("message");
        worker.once("message", resolve);
        worker.postMessage({ stop: true });
      });
      await worker.terminate();
      return busyMs;
    }
  }

  async function fill(file) {
    const store = SqliteStore.open({ path: file });
    await queueNoopRuns(store, N);
    await store.close();
  }
}
