import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { listClusterNodes } from "../../src/ops/cluster.js";
import { createJoinToken } from "../../src/ops/join-tokens.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { dropSchema, freshSchema, onSchema, useTestPostgres } from "../store/postgres-server.js";
import { keelCli } from "./keel-cli.js";
import { startNode, useNodes, writeConfig } from "./node-process.js";
import { WebhookReceiver } from "./webhook-receiver.js";

/**
 * Least privilege, as docs/operations.md sets it up: the owner migrates the schema, then a node
 * role gets USAGE on it and SELECT, INSERT, UPDATE, DELETE on its tables and sequences, nothing
 * more. A real `keel start` node as that role does all a cluster node does (join with a token,
 * claim and checkpoint, heartbeat, drain, sources, breakers, alerts evaluation and the outbox,
 * retention) with no permission error, and the role can neither change the schema nor read
 * another one.
 */
const server = useTestPostgres();
const nodes = useNodes();
const operatorFixture = fileURLToPath(
  new URL("./fixtures/operator-pipelines.mjs", import.meta.url),
);
const breakerFixture = fileURLToPath(new URL("./fixtures/breaker-pipelines.mjs", import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, read: () => Promise<T | false | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** runs `sql` as `url`'s user, returning the error message, or "" when it succeeded */
async function refusal(url: string, sql: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
    return "";
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end();
  }
}

describe("postgres: a node running as the node role", () => {
  it("does all a cluster node does with table rights only, and can change or read nothing else", async () => {
    const { url: adminUrl } = server();
    const schema = freshSchema("keel_role");
    const other = freshSchema("keel_other");
    const role = `keel_node_${process.pid}_${Date.now().toString(36)}`;
    const admin = (sql: string) => onSchema(adminUrl, schema, (c) => c.query(sql));
    const home = mkdtempSync(join(tmpdir(), "keel-pgrole-"));
    const receiver = new WebhookReceiver("role-secret");
    await receiver.up();

    // the owner (here the test's superuser) migrates both schemas and makes a join token
    const owner = PostgresStore.open({ url: `${adminUrl}?schema=${schema}`, poolSize: 2 });
    const elsewhere = PostgresStore.open({ url: `${adminUrl}?schema=${other}`, poolSize: 1 });
    await Promise.all([owner.ready(), elsewhere.ready()]);
    const { token } = await createJoinToken(owner, { name: "role-test", actor: "test" });
    await admin(`CREATE ROLE ${role} LOGIN`);
    cleanups.push(async () => {
      await receiver.down();
      await owner.close();
      await elsewhere.close();
      await dropSchema(adminUrl, schema);
      await dropSchema(adminUrl, other);
      await admin(`DROP OWNED BY ${role}`).catch(() => undefined);
      await admin(`DROP ROLE IF EXISTS ${role}`);
      rmSync(home, { recursive: true, force: true });
    });
    // exactly the grants of docs/operations.md
    await admin(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
    await admin(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
    );
    await admin(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`);
    const roleUrl = new URL(adminUrl);
    roleUrl.username = role;
    const roleStore = new URL(roleUrl);
    roleStore.searchParams.set("schema", schema);
    const env = {
      KEEL_STORE: roleStore.toString(),
      KEEL_JOIN_TOKEN: token,
      KEEL_TEST_EFFECTS: join(home, "effects.log"),
      HOOK_SECRET: "role-secret",
    };
    const config = writeConfig(
      home,
      [operatorFixture, breakerFixture],
      [
        "server:\n  enabled: false",
        "node:\n  heartbeat_ms: 200\n  poll_ms: 200",
        "sources:\n  ticking:\n    pipeline: ingest\n    every: 1s\n    input: { text: from a source }",
        "breakers:\n  embedding-api:\n    failure_threshold: 3",
        "retention:\n  succeeded_days: 1\n  interval_ms: 1000",
        `alerts:\n  interval_ms: 200\n  delivery: { base_delay_ms: 100, max_delay_ms: 400, drain_ms: 100 }\n  receivers:\n    ops: { url: "${receiver.url}", secret_env: HOOK_SECRET, timeout_ms: 1000 }`,
        "",
      ].join("\n"),
    );
    const cli = (args: string[]) => {
      const result = keelCli(home, args, env);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
      return result.stdout;
    };

    // joins with the token, and claims and checkpoints: its own runs and its source's
    const node = startNode(home, config, env);
    nodes.push(node);
    await node.ready;
    const id = (await listClusterNodes(owner)).nodes.find((n) => n.pid === node.child.pid)?.id;
    expect(id).toBeDefined();
    const runs = await Promise.all(
      ["ingest", "embed-docs"].map(async (p) =>
        JSON.parse(cli(["submit", p, "--input", '{"text":"a b"}', "--format", "json"])),
      ),
    );
    await until("the runs and a source tick succeeded", async () => {
      const done = await Promise.all(runs.map((r) => owner.getRun(r.id)));
      const ticks = (await owner.listSources()).find((s) => s.name === "ticking")?.lastTickAt;
      return done.every((r) => r?.status === "succeeded") && ticks != null;
    });
    // breakers: an operator trips it, the node's run takes the fallback, it is reset
    cli(["breakers", "trip", "embedding-api", "--reason", "drill"]);
    const degraded = JSON.parse(
      cli(["submit", "embed-docs", "--input", '{"text":"c"}', "--wait", "--format", "json"]),
    );
    expect(degraded.status).toBe("succeeded");
    cli(["breakers", "reset", "embedding-api"]);

    // heartbeats move on
    const beat = async () => (await listClusterNodes(owner)).nodes.find((n) => n.id === id)!;
    const first = (await beat()).heartbeatAt;
    await until("a later heartbeat", async () => (await beat()).heartbeatAt > first);

    // alerts: it evaluates (the emergency stop fires) and drains the outbox to the receiver
    cli(["emergency", "on", "--reason", "role drill"]);
    await until("the firing notification delivered", async () =>
      receiver.received.some((r) => r.json.rule === "emergency_stop" && r.json.state === "firing"),
    );
    cli(["emergency", "off", "--reason", "role drill over"]);

    // retention: a run that ended two days ago is deleted by the node's sweep
    const old = runs[0].id as string;
    await admin(`UPDATE runs SET finished_at = finished_at - 2 * 86400000 WHERE id = '${old}'`);
    await until("the old run deleted by retention", async () => !(await owner.getRun(old)));

    // drain and undrain
    cli(["nodes", "drain", id!, "--reason", "role drill"]);
    await until("the drain heard", async () => node.output().includes("node draining"));
    cli(["nodes", "undrain", id!]);
    const after = JSON.parse(
      cli(["submit", "ingest", "--input", '{"text":"d"}', "--wait", "--format", "json"]),
    );
    expect(after.status).toBe("succeeded");

    expect(node.output()).not.toMatch(/permission denied|must be owner|lacks a right|42501/);
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);

    // and it can change no table, make none, nor read another schema
    const asRole = roleUrl.toString();
    expect(await refusal(asRole, `CREATE TABLE ${schema}.x (id int)`)).toMatch(/permission denied/);
    expect(await refusal(asRole, `DROP TABLE ${schema}.runs`)).toMatch(/must be owner/);
    expect(await refusal(asRole, `ALTER TABLE ${schema}.runs ADD COLUMN x int`)).toMatch(
      /must be owner/,
    );
    expect(await refusal(asRole, `TRUNCATE ${schema}.runs`)).toMatch(/permission denied/);
    expect(await refusal(asRole, `CREATE SCHEMA ${role}_own`)).toMatch(/permission denied/);
    expect(await refusal(asRole, `CREATE TABLE public.x (id int)`)).toMatch(/permission denied/);
    expect(await refusal(asRole, `SELECT count(*) FROM ${other}.runs`)).toMatch(
      /permission denied for schema/,
    );
    // the refusals are the role's: the same reads work on its own schema
    expect(await refusal(asRole, `SELECT count(*) FROM ${schema}.runs`)).toBe("");
  }, 180_000);
});
