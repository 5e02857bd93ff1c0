// The SQL of a drained one-step run and nothing else: the statements keel's SQLite store runs for
// it (claim, the claimed transition, the fenced finish, the started / checkpoint / completed
// transitions, the step_results row), B runs per transaction as a node at concurrency B commits
// them, straight through better-sqlite3 with no engine, no group commit and no checkpoint thread.
// It prints the time per run by statement class, and the WAL frames each commit wrote.
//   npm run build && node bench/tools/sql-floor.mjs
//   VARIANT=sp,noauto N=20000 B=10 PAGES=1 node bench/tools/sql-floor.mjs
// VARIANT (comma-separated), each a change to measure against the store as it is:
//   sp        each run's writes in a savepoint, as a group commit that isolates every write
//   pstatus   runs_status as a partial index without running runs; nostatus: no runs_status
//   cstatus   runs_status holding only pending, cancelled and quarantined runs
//   nodue     no runs_due index;  noauto: transitions without AUTOINCREMENT
//   returning the claim's UPDATE ... RETURNING * and the finish's RETURNING trace_id, as the
//             store ran them before 2026-12-05 (it now reads the rows first and updates without)
//   lit       transition statements with their constant columns written as literals
//   tmulti    a commit's transitions in one multi-row INSERT; tset: in one INSERT ... json_each
//   notrans   no transition rows at all: what the audit trail costs, as an upper bound
// PAGES=1 also prints the WAL frames per commit by table or index (dbstat).
// Compare variants in alternating runs of this script: this machine's speed moves by 2x in a day.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../dist/src/store/sqlite/sqlite-store.js";
import { openSqlite } from "../../dist/src/store/sqlite/open.js";
import { queueNoopRuns } from "./queued-runs.mjs";
import {
  claimDrainRuns,
  drainTransitions,
  finishDrainRun,
  prepareDrainStatements,
  transitionColumns,
} from "./drain-statements.mjs";

const N = Number(process.env.N ?? 20000);
const B = Number(process.env.B ?? 10);
const V = new Set((process.env.VARIANT ?? "").split(",").filter(Boolean));
const dir = mkdtempSync(join(tmpdir(), "sql-floor-"));
const path = join(dir, "keel.db");

// the schema and the queued runs, as keel makes them
const store = SqliteStore.open({ path });
await queueNoopRuns(store, N);
await store.close();

const db = openSqlite({ path, durability: "normal" });
if (V.has("pstatus"))
  db.exec(
    "DROP INDEX runs_status; CREATE INDEX runs_status ON runs (status, id) WHERE status <> 'running';",
  );
if (V.has("nostatus")) db.exec("DROP INDEX runs_status;");
if (V.has("cstatus"))
  db.exec(
    "DROP INDEX runs_status; CREATE INDEX runs_status ON runs (status, id) WHERE status IN ('pending', 'cancelled', 'quarantined');",
  );
if (V.has("nodue")) db.exec("DROP INDEX runs_due;");
if (V.has("noauto"))
  db.exec(`CREATE TABLE t2 (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, step TEXT, from_status TEXT,
      to_status TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL, at INTEGER NOT NULL, trace_id TEXT, details TEXT);
    INSERT INTO t2 SELECT * FROM transitions; DROP TABLE transitions; ALTER TABLE t2 RENAME TO transitions;
    CREATE INDEX transitions_run ON transitions (run_id, id);`);
// every frame this run writes stays in the WAL, to be counted
db.pragma("wal_checkpoint(TRUNCATE)");
db.pragma("wal_autocheckpoint = 0");
db.pragma("journal_size_limit = -1");

const node = `bench-host-${process.pid}-a1b2c3`;
const st = {
  ...prepareDrainStatements(db),
  savepoint: db.prepare("SAVEPOINT w"),
  release: db.prepare("RELEASE w"),
};
const returning = V.has("returning");

const literal = new Map();
const buffered = [];
const multi = new Map();
const viaJson = db.prepare(
  `INSERT INTO transitions (${transitionColumns}) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3,
     value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8 FROM json_each(?)`,
);
function transition(runId, step, from, to, reason, actor, at, traceId, details) {
  if (V.has("notrans")) return;
  if (V.has("tmulti") || V.has("tset")) {
    buffered.push([runId, step, from, to, reason, actor, at, traceId, details]);
  } else if (V.has("lit")) {
    let statement = literal.get(reason);
    if (!statement) {
      const stepSql = step === null ? "NULL" : `'${step}'`;
      statement = db.prepare(
        `INSERT INTO transitions (${transitionColumns}) VALUES (?, ${stepSql}, '${from}', '${to}', '${reason}', ?, ?, ?, ?)`,
      );
      literal.set(reason, statement);
    }
    statement.run(runId, actor, at, traceId, details);
  } else {
    st.transition.run(runId, step, from, to, reason, actor, at, traceId, details);
  }
}
function flushTransitions() {
  if (buffered.length === 0) return;
  if (V.has("tset")) viaJson.run(JSON.stringify(buffered));
  else {
    const n = buffered.length;
    let statement = multi.get(n);
    if (!statement) {
      const rows = Array(n).fill("(?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
      statement = db.prepare(`INSERT INTO transitions (${transitionColumns}) VALUES ${rows}`);
      multi.set(n, statement);
    }
    statement.run(buffered.flat());
  }
  buffered.length = 0;
}

const spent = {};
let mark = 0;
const lap = (name) => {
  const t = performance.now();
  spent[name] = (spent[name] ?? 0) + (t - mark);
  mark = t;
};
const savepoints = V.has("sp");
let held = []; // the runs claimed by the previous commit, finished in this one
let done = 0;
let commits = 0;
const started = performance.now();
for (;;) {
  mark = performance.now();
  st.begin.run();
  lap("begin");
  for (const run of held) {
    if (savepoints) st.savepoint.run();
    const at = Date.now();
    const traceId = finishDrainRun(st, run, node, at, JSON.stringify({ ok: 1 }), returning);
    lap("finish");
    transition(...drainTransitions.started(run.id, node, at, traceId));
    lap("transitions");
    st.stepResult.run(run.id, "noop", "null", "hash", 1, node, at, at, 0);
    lap("step_results");
    transition(...drainTransitions.checkpoint(run.id, node, at, traceId));
    transition(...drainTransitions.completed(run.id, node, at, traceId));
    lap("transitions");
    if (savepoints) {
      st.release.run();
      lap("savepoints");
    }
  }
  if (savepoints) st.savepoint.run();
  const at = Date.now();
  const claimed = claimDrainRuns(st, node, at, B, returning);
  lap("claim");
  for (const run of claimed)
    transition(...drainTransitions.claimed(run.id, node, at, run.traceId, run.epoch));
  lap("transitions");
  st.checkpoints.all(JSON.stringify(claimed.map((run) => run.id)));
  lap("claim");
  if (savepoints) {
    st.release.run();
    lap("savepoints");
  }
  flushTransitions();
  lap("transitions");
  st.commit.run();
  lap("commit");
  commits += 1;
  done += held.length;
  held = claimed;
  if (claimed.length === 0) break;
}
const wallMs = performance.now() - started;

const perRun = (ms) => +((ms * 1000) / done).toFixed(2);
const result = {
  variant: [...V].join(",") || "as is",
  runs: done,
  per_commit: B,
  us_per_run: perRun(wallMs),
  frames_per_commit: 0,
  us_per_run_by_statement: Object.fromEntries(
    Object.entries(spent).map(([k, v]) => [k, perRun(v)]),
  ),
};
if (process.env.PAGES) {
  // each WAL frame: a 24-byte header (its page number first), then the page
  const wal = readFileSync(`${path}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const owner = new Map(
    db
      .prepare("SELECT pageno, name FROM dbstat")
      .all()
      .map((r) => [r.pageno, r.name]),
  );
  const byObject = {};
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    const name = owner.get(wal.readUInt32BE(at)) ?? "(freed)";
    byObject[name] = (byObject[name] ?? 0) + 1;
  }
  result.frames_per_commit_by_object = Object.fromEntries(
    Object.entries(byObject)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, +(v / commits).toFixed(1)]),
  );
}
result.frames_per_commit = +(db.pragma("wal_checkpoint(PASSIVE)")[0].log / commits).toFixed(1);
console.log(JSON.stringify(result));
db.close();
rmSync(dir, { recursive: true, force: true });
