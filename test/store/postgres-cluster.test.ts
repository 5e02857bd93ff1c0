import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  PostgresStore,
  type PostgresStoreOptions,
} from "../../src/store/postgres/postgres-store.js";
import {
  LEASE_MS,
  NODE_A,
  NODE_B,
  calledWithin,
  newRun,
} from "../../src/store/store-case/helpers.case.test.js";
import { loadMigrations } from "../../src/store/migration-files.js";
import { dropSchema, freePort, freshSchema, onSchema, useTestPostgres } from "./postgres-server.js";

/**
 * What only PostgreSQL does: lease times from the database's clock (nodes whose clocks are off),
 * claims that skip each other's locked rows, wake-ups by NOTIFY, migrations under an advisory
 * lock. Real time passes here (short leases), unlike the conformance suite's fixed times.
 */
const server = useTestPostgres();
const known = loadMigrations(new URL("../../src/store/postgres/migrations/", import.meta.url));
const latest = Math.max(...known.map((m) => m.version));
const opened: PostgresStore[] = [];
const schemas: string[] = [];

function open(schema: string, options: Partial<PostgresStoreOptions> = {}): PostgresStore {
  const store = PostgresStore.open({ url: server().url, schema, poolSize: 4, ...options });
  opened.push(store);
  return store;
}

function schema(): string {
  const name = freshSchema("keel_c");
  schemas.push(name);
  return name;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  for (const name of schemas.splice(0)) await dropSchema(server().url, name);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const minutes = (n: number) => n * 60_000;

async function claimOne(store: PostgresStore, nodeId: string, now: number, leaseMs = LEASE_MS) {
  await store.submitRuns([newRun({ scheduledFor: 0, createdAt: now })]);
  const [claimed] = await store.claimRuns({ nodeId, limit: 1, leaseMs, now, pipelines: ["p1"] });
  if (!claimed) throw new Error("nothing claimed");
  return claimed;
}

describe("postgres: lease times from the database clock", () => {
  it("a node whose clock runs minutes ahead cannot steal a live lease", async () => {
    const name = schema();
    const a = open(name);
    const ahead = open(name);
    const held = await claimOne(a, NODE_A, Date.now(), 30_000);
    // by its own clock the lease ran out ten minutes ago
    expect(await ahead.recoverExpiredLeases(Date.now() + minutes(10), NODE_B)).toEqual([]);
    expect((await a.getRun(held.run.id))?.status).toBe("running");
    await a.completeStep(held.lease, step("a"), "out");
    expect((await a.getRun(held.run.id))?.status).toBe("succeeded");
  });

  it("a node whose clock runs minutes behind keeps no lease past its time, and its late write is fenced", async () => {
    const name = schema();
    const behind = open(name);
    const other = open(name);
    const skew = -minutes(10);
    const held = await claimOne(behind, NODE_A, Date.now() + skew, 300);
    const lease = await behind.getRun(held.run.id);
    // the lease runs out on the server's clock, not ten minutes after the node's
    expect(lease?.leaseExpiresAt).toBeGreaterThan(Date.now() - 5000);
    expect(lease?.leaseExpiresAt).toBeLessThan(Date.now() + 5000);
    expect(await other.recoverExpiredLeases(Date.now() + skew, NODE_B)).toEqual([]);
    await sleep(500);
    // the sweeping node's clock is off too: only the server's counts
    expect(await other.recoverExpiredLeases(Date.now() + skew, NODE_B)).toEqual([held.run.id]);
    await expect(behind.completeStep(held.lease, step("a"), "late")).rejects.toMatchObject({
      code: "lease_lost",
    });
  });

  it("heartbeats renew leases and node times on the database clock", async () => {
    const name = schema();
    const a = open(name);
    await a.registerNode({
      id: NODE_A,
      host: "h",
      pid: 1,
      capabilities: [],
      version: "t",
      now: Date.now() - minutes(10),
    });
    const held = await claimOne(a, NODE_A, Date.now() - minutes(10), 300);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await a.heartbeat(NODE_A, Date.now() - minutes(10), 300)).toEqual([
        { runId: held.run.id, epoch: held.lease.epoch },
      ]);
    }
    expect(await a.recoverExpiredLeases(Date.now(), NODE_B)).toEqual([]);
    const [node] = await a.listNodes();
    expect(Math.abs((node?.heartbeatAt ?? 0) - Date.now())).toBeLessThan(5000);
  });

  it("the caller's clock, when asked for, behaves as SQLite's", async () => {
    const name = schema();
    const a = open(name, { clock: "caller" });
    const held = await claimOne(a, NODE_A, 1_000, 1_000);
    expect((await a.getRun(held.run.id))?.leaseExpiresAt).toBe(2_000);
    expect(await a.recoverExpiredLeases(2_001, NODE_B)).toEqual([held.run.id]);
  });
});

describe("postgres: many nodes on one schema", () => {
  it("nodes claiming at once take disjoint runs (FOR UPDATE SKIP LOCKED)", async () => {
    const name = schema();
    const nodes = [open(name), open(name), open(name), open(name)];
    const now = Date.now();
    await nodes[0]?.submitRuns(
      Array.from({ length: 40 }, () => newRun({ scheduledFor: 0, createdAt: now })),
    );
    const rounds = await Promise.all(
      nodes.flatMap((store, i) =>
        [0, 1, 2].map(() =>
          store.claimRuns({
            nodeId: `node-${i}`,
            limit: 5,
            leaseMs: LEASE_MS,
            now,
            pipelines: ["p1"],
          }),
        ),
      ),
    );
    const ids = rounds.flat().map((c) => c.run.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(40);
    expect((await nodes[0]?.countRunsByStatus())?.running).toBe(40);
  });

  it("ten nodes opening a new schema at once migrate it once", async () => {
    const name = schema();
    const stores = Array.from({ length: 10 }, () => open(name, { poolSize: 1 }));
    await Promise.all(stores.map((s) => s.ready()));
    const ledger = await onSchema(
      server().url,
      name,
      async (c) =>
        (await c.query("SELECT version, name, breaking FROM schema_migrations ORDER BY version"))
          .rows,
    );
    // every migration this code knows, each once
    expect(ledger).toEqual(
      known.map((m) => ({ version: m.version, name: m.name, breaking: m.breaking ? 1 : 0 })),
    );
    expect((await stores[9]?.checkIntegrity())?.schemaVersion).toBe(latest);
  });

  it("a submit on one node wakes a listener on another by NOTIFY", async () => {
    const name = schema();
    const a = open(name);
    const b = open(name);
    await a.ready();
    // the first hint comes when the LISTEN connection is up
    await calledWithin((l) => b.onWork(l), 5000);
    const woken = calledWithin((l) => b.onWork(l), 5000);
    await a.submitRuns([newRun()]);
    await woken;
  });

  it("a notification for another schema does not wake this one", async () => {
    const a = open(schema());
    const b = open(schema());
    await a.ready();
    await calledWithin((l) => b.onWork(l), 5000);
    let calls = 0;
    const stop = b.onWork(() => (calls += 1));
    await a.submitRuns([newRun()]);
    await sleep(300);
    stop();
    expect(calls).toBe(0);
  });
});

describe("postgres: bad settings are refused, saying what to do", () => {
  it("refuses a schema that is not a plain name", () => {
    expect(() => PostgresStore.open({ url: server().url, schema: 'x"; DROP' })).toThrow(
      /schema .* is not a plain lower-case name/,
    );
  });

  it("a server out of reach fails the first call, naming it without its password", async () => {
    const store = open("keel", { url: "postgres://keel:secret@127.0.0.1:1/none" });
    const failed = store.listRuns({ limit: 1 });
    await expect(failed).rejects.toMatchObject({ code: "store_unavailable", retryable: true });
    await expect(failed).rejects.toThrow(/keel:\*\*\*@127\.0\.0\.1:1\/none is unreachable/);
  });

  it("a read-only store on a schema no node made says so, and creates nothing", async () => {
    const name = schema();
    const store = open(name, { readonly: true });
    await expect(store.listRuns({ limit: 1 })).rejects.toMatchObject({ code: "store_missing" });
    await expect(store.listRuns({ limit: 1 })).rejects.toThrow(/holds no keel store yet/);
    const found = await onSchema(
      server().url,
      name,
      async (c) =>
        (await c.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [name])).rowCount,
    );
    expect(found).toBe(0);
  });
});

function step(name: string) {
  const t = Date.now();
  return { step: name, output: 1, outputHash: "h", attempt: 1, startedAt: t, finishedAt: t };
}

describe("postgres: nodes draining one queue", () => {
  it("four nodes complete every run exactly once, each checkpoint written once", async () => {
    const name = schema();
    const nodes = [open(name), open(name), open(name), open(name)];
    const total = 200;
    const t0 = Date.now();
    await nodes[0]?.submitRuns(
      Array.from({ length: total }, () => newRun({ scheduledFor: 0, createdAt: t0 })),
    );
    const done: string[] = [];
    await Promise.all(
      nodes.map(async (store, i) => {
        for (;;) {
          const claimed = await store.claimRuns({
            nodeId: `node-${i}`,
            limit: 7,
            leaseMs: LEASE_MS,
            now: Date.now(),
            pipelines: ["p1"],
          });
          if (claimed.length === 0) return;
          await Promise.all(
            claimed.map(async ({ lease, run }) => {
              await store.completeStep(lease, step("a"));
              await store.completeStep(lease, step("b"), { n: 1 });
              done.push(run.id);
            }),
          );
        }
      }),
    );
    expect(done).toHaveLength(total);
    expect(new Set(done).size).toBe(total);
    const store = nodes[0] as PostgresStore;
    expect(await store.countRunsByStatus()).toMatchObject({ succeeded: total, pending: 0 });
    const counts = await onSchema(server().url, name, async (c) => ({
      checkpoints: (await c.query("SELECT count(*)::int AS n FROM step_results")).rows[0].n,
      completed: (
        await c.query("SELECT count(*)::int AS n FROM transitions WHERE reason = 'completed'")
      ).rows[0].n,
    }));
    expect(counts).toEqual({ checkpoints: total * 2, completed: total });
    expect(await store.checkIntegrity()).toMatchObject({ ok: true, runs: total });
  }, 60_000);
});

describe("postgres: a node's role with table rights only", () => {
  it("runs on a schema the owner migrated, and a migration it cannot make says what to grant", async () => {
    const name = schema();
    const owner = open(name);
    await owner.ready();
    const role = `keel_node_${process.pid}_${Date.now().toString(36)}`;
    const admin = (sql: string) => onSchema(server().url, name, (c) => c.query(sql));
    await admin(`CREATE ROLE ${role} LOGIN`);
    try {
      await admin(`GRANT USAGE ON SCHEMA ${name} TO ${role}`);
      await admin(
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${name} TO ${role}`,
      );
      await admin(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${name} TO ${role}`);
      const url = new URL(server().url);
      url.username = role;
      const node = open(name, { url: url.toString() });
      const now = Date.now();
      const claimed = await claimOne(node, NODE_A, now);
      await node.completeStep(claimed.lease, step("a"), "out");
      expect((await owner.getRun(claimed.run.id))?.status).toBe("succeeded");

      const fresh = open(schema(), { url: url.toString() });
      await expect(fresh.listRuns({ limit: 1 })).rejects.toThrow(
        /lacks a right keel needs: migrate the schema once as the user that owns it/,
      );
    } finally {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      await admin(`DROP OWNED BY ${role}`);
      await admin(`DROP ROLE ${role}`);
    }
  });
});

describe("postgres: the event feed", () => {
  it("a follower paging by id misses no transition while nodes commit at once", async () => {
    const name = schema();
    const writers = [open(name), open(name), open(name), open(name)];
    const reader = open(name, { poolSize: 1 });
    await Promise.all([...writers, reader].map((s) => s.ready()));
    let writing = true;
    const seen: number[] = [];
    const follow = (async () => {
      let cursor = 0;
      for (;;) {
        const stillWriting = writing;
        const batch = await reader.listTransitionsAfter({ afterId: cursor, limit: 500 });
        for (const t of batch) seen.push(t.id);
        cursor = batch.at(-1)?.id ?? cursor;
        if (!stillWriting && batch.length === 0) return;
      }
    })();
    await Promise.all(
      writers.map(async (store) => {
        for (let i = 0; i < 60; i++) await store.submitRuns([newRun()]);
      }),
    );
    writing = false;
    await follow;
    const all = await onSchema(server().url, name, async (c) =>
      (await c.query("SELECT id FROM transitions ORDER BY id")).rows.map((r: { id: string }) =>
        Number(r.id),
      ),
    );
    expect(all).toHaveLength(240);
    expect(seen).toEqual(all);
  }, 60_000);
});

describe("postgres: connections the server drops", () => {
  it("a store whose connections were cut goes on reading, writing and hearing wake-ups", async () => {
    const name = schema();
    const a = open(name);
    const b = open(name);
    await calledWithin((l) => a.onWork(l), 5000);
    await b.submitRuns([newRun()]);
    expect((await a.listRuns({ limit: 10 })).runs).toHaveLength(1);
    const cut = await onSchema(
      server().url,
      name,
      async (c) =>
        (
          await c.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
            [`keel/${name}`],
          )
        ).rowCount,
    );
    expect(cut).toBeGreaterThanOrEqual(2);
    // the listener's reconnection gives a hint of its own; then NOTIFY works again
    await calledWithin((l) => a.onWork(l), 5000);
    expect((await a.listRuns({ limit: 10 })).runs).toHaveLength(1);
    const woken = calledWithin((l) => a.onWork(l), 5000);
    await b.submitRuns([newRun()]);
    await woken;
    await a.submitRuns([newRun()]);
    expect((await b.countRunsByStatus()).pending).toBe(3);
  }, 30_000);
});

describe("postgres: a server out of reach at start", () => {
  it("a store opened while the server was away migrates and runs once it is back", async () => {
    const name = schema();
    const real = new URL(server().url);
    const port = await freePort();
    const url = new URL(server().url);
    url.port = String(port);
    const store = open(name, { url: url.toString() });
    await expect(store.listRuns({ limit: 1 })).rejects.toMatchObject({
      code: "store_unavailable",
    });
    // the server "comes back": a forwarder on the store's port to the real one
    const sockets = new Set<Socket>();
    const forwarder = createServer((inbound) => {
      const outbound = connect(Number(real.port), real.hostname);
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on("error", () => s.destroy());
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((r) => forwarder.listen(port, "127.0.0.1", r));
    try {
      await store.submitRuns([newRun()]);
      expect((await store.listRuns({ limit: 5 })).runs).toHaveLength(1);
      expect((await store.checkIntegrity()).schemaVersion).toBe(latest);
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => forwarder.close(r));
    }
  });
});
