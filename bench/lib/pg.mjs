// Small PostgreSQL helpers shared by the pg-boss, graphile-worker and raw adapters.
import pg from "pg";
import { pgUrl } from "./common.mjs";

export async function withClient(fn) {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema) {
  if (!/^[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

let cached;
export async function serverInfo() {
  if (cached) return cached;
  cached = await withClient(async (c) => {
    const { rows } = await c.query(
      "select current_setting('server_version') as version, current_setting('synchronous_commit') as sync, current_setting('fsync') as fsync",
    );
    return rows[0];
  });
  return cached;
}

export async function pgDurability() {
  const s = await serverInfo();
  const safe = s.sync === "on" && s.fsync === "on";
  return {
    store: `PostgreSQL ${s.version.split(" ")[0]} (synchronous_commit=${s.sync}, fsync=${s.fsync})`,
    durability: safe
      ? "PostgreSQL commit (synchronous_commit=on, fsync=on): survives process crash and power loss"
      : `PostgreSQL with synchronous_commit=${s.sync}, fsync=${s.fsync}: recent commits may be lost on power loss`,
  };
}
