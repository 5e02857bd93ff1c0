// Counts the round trips a process makes to PostgreSQL through `pg`: every Client#query call is
// one (node-postgres sends a query and waits for its answer before the next), a multi-statement
// text included. `transactions` counts the BEGINs among them.
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

/** patches the `pg` that the keel build in `dist` loads; returns the counter */
export function countRoundTrips(dist) {
  const pg = createRequire(resolve(dist, "src", "index.js"))("pg");
  const counter = { queries: 0, transactions: 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function counted(config, ...rest) {
    counter.queries += 1;
    const text = typeof config === "string" ? config : config?.text;
    if (typeof text === "string" && text.startsWith("BEGIN")) counter.transactions += 1;
    return query.call(this, config, ...rest);
  };
  return {
    pg,
    reset() {
      counter.queries = 0;
      counter.transactions = 0;
    },
    read: () => ({ ...counter }),
  };
}

/**
 * A join token for a node of a bench on a PostgreSQL store (a node joins one only with a token):
 * the text to give keel's `cluster.joinToken`, and `grant(store)`, which records it.
 */
export async function benchJoinToken(dist) {
  const { randomBytes } = await import("node:crypto");
  const { pathToFileURL } = await import("node:url");
  const { hashJoinToken } = await import(
    pathToFileURL(join(dist, "src", "engine", "cluster-join.js")).href
  );
  const id = randomBytes(6).toString("hex");
  const token = `keel_join_${id}_${randomBytes(32).toString("base64url")}`;
  return {
    token,
    grant: (store) =>
      store.createJoinToken(
        {
          id,
          name: `bench-${id}`,
          secretHash: hashJoinToken(token),
          capabilities: [],
          pools: [],
          createdAt: Date.now(),
          createdBy: "bench",
        },
        { action: "join_token.create" },
      ),
  };
}
