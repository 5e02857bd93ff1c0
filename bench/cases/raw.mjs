// Case 6: the raw store limit at concurrency 1. Per job, three transactions, each committed on
// its own: INSERT the job, claim it (UPDATE ... RETURNING), complete it (UPDATE). SQLite through
// better-sqlite3 with keel's pragmas (WAL, synchronous NORMAL or FULL), and PostgreSQL through pg
// (claim with FOR UPDATE SKIP LOCKED, autocommit, the server's synchronous_commit).
import { join } from "node:path";
import { createRequire } from "node:module";
import pg from "pg";
import {
  medianBy,
  now,
  percentiles,
  pgUrl,
  removeDir,
  round,
  tag,
  tempHome,
} from "../lib/common.mjs";
import { dropSchema, pgDurability } from "../lib/pg.mjs";
import { sqliteDriver } from "../lib/sqlite.mjs";
import { record } from "../lib/results.mjs";

export const number = 6;
export const title = "raw store limit";
const require = createRequire(import.meta.url);

export async function run({ quick, sqlite = true, postgres = true }) {
  const n = quick ? 1000 : 5000;
  const repeats = quick ? 1 : 3;
  const median = async (once) => {
    const tries = [];
    for (let i = 0; i < repeats; i++) tries.push(await once());
    const m = medianBy(tries, "jobs_per_s");
    const extra =
      tries.length > 1 ? { tries_jobs_per_s: tries.map((t) => round(t.jobs_per_s, 1)) } : {};
    const note = tries.length > 1 ? `; median of ${tries.length} runs` : "";
    record({
      ...m.fields,
      n,
      concurrency: 1,
      jobs_per_s: m.jobs_per_s,
      ...percentiles(m.lat),
      tx_per_s: round(3 * m.jobs_per_s, 1),
      ...extra,
      notes: m.fields.notes + note,
    });
  };
  if (sqlite) {
    const driver = await sqliteDriver();
    for (const sync of ["NORMAL", "FULL"]) await median(() => rawSqlite(driver, n, sync));
  }
  if (postgres) await median(() => rawPostgres(n));
}

function rawSqlite({ Database, pkg, version: driverVersion }, n, sync) {
  const home = tempHome("raw-sqlite");
  const db = new Database(join(home, "raw.db"));
  try {
    db.pragma("busy_timeout = 5000");
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${sync}`);
    db.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, payload TEXT NOT NULL,
      locked_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX jobs_pending ON jobs (id) WHERE status = 'pending';`);
    const insert = db.prepare(
      "INSERT INTO jobs (status, payload, created_at, updated_at) VALUES ('pending', ?, ?, ?)",
    );
    const claim = db.prepare(
      "UPDATE jobs SET status = 'running', locked_at = ?, updated_at = ? WHERE id = (SELECT id FROM jobs WHERE status = 'pending' ORDER BY id LIMIT 1) RETURNING id, payload",
    );
    const complete = db.prepare("UPDATE jobs SET status = 'done', updated_at = ? WHERE id = ?");
    // BEGIN IMMEDIATE for each, like keel's writes
    const tInsert = db.transaction((payload, at) => insert.run(payload, at, at));
    const tClaim = db.transaction((at) => claim.get(at, at));
    const tComplete = db.transaction((id, at) => complete.run(at, id));
    const lat = [];
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const s = now();
      const at = Date.now();
      tInsert.immediate(JSON.stringify({ i }), at);
      const job = tClaim.immediate(at);
      tComplete.immediate(job.id, at);
      lat.push(now() - s);
    }
    const wall = now() - t0;
    const version = db.prepare("select sqlite_version() as v").get().v;
    return {
      jobs_per_s: n / (wall / 1000),
      lat,
      fields: {
        system: "sqlite (raw)",
        version: `SQLite ${version}, ${pkg.replace(/-v\d+$/, "")} ${driverVersion}`,
        store: `SQLite ${version} (WAL, synchronous=${sync})`,
        durability:
          sync === "FULL"
            ? "synchronous=FULL: survives power loss"
            : "synchronous=NORMAL: survives process crash, not power loss",
        variant: `synchronous ${sync}`,
        case: "6-raw",
        notes:
          "per job: INSERT, claim (UPDATE ... RETURNING), complete (UPDATE), each its own BEGIN IMMEDIATE transaction; percentiles of one job's three transactions",
      },
    };
  } finally {
    db.close();
    removeDir(home);
  }
}

async function rawPostgres(n) {
  const schema = `bench_raw_${tag()}`;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.jobs (id bigserial PRIMARY KEY, status text NOT NULL, payload jsonb NOT NULL,
      locked_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`CREATE INDEX jobs_pending ON ${schema}.jobs (id) WHERE status = 'pending'`);
    const insert = {
      name: "raw-insert",
      text: `INSERT INTO ${schema}.jobs (status, payload) VALUES ('pending', $1)`,
    };
    const claim = {
      name: "raw-claim",
      text: `UPDATE ${schema}.jobs SET status = 'running', locked_at = now(), updated_at = now()
             WHERE id = (SELECT id FROM ${schema}.jobs WHERE status = 'pending' ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)
             RETURNING id, payload`,
    };
    const complete = {
      name: "raw-complete",
      text: `UPDATE ${schema}.jobs SET status = 'done', updated_at = now() WHERE id = $1`,
    };
    const lat = [];
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const s = now();
      await client.query({ ...insert, values: [JSON.stringify({ i })] });
      const { rows } = await client.query({ ...claim, values: [] });
      await client.query({ ...complete, values: [rows[0].id] });
      lat.push(now() - s);
    }
    const wall = now() - t0;
    const meta = await pgDurability();
    return {
      jobs_per_s: n / (wall / 1000),
      lat,
      fields: {
        system: "postgres (raw)",
        version: `${meta.store.split(" (")[0]}, pg ${require("pg/package.json").version}`,
        store: meta.store,
        durability: meta.durability,
        variant: "autocommit",
        case: "6-raw",
        notes:
          "per job: INSERT, claim (UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING), complete (UPDATE), each autocommitted; one connection, prepared statements",
      },
    };
  } finally {
    await client.end();
    await dropSchema(schema);
  }
}
