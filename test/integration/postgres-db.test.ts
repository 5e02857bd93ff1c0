import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { copiedTables } from "../../src/store/store-copy.js";
import { dropSchema, freshSchema, onSchema, useTestPostgres } from "../store/postgres-server.js";
import { cliEnv, keelCli, type CliResult } from "./keel-cli.js";
import { keelBin, writeConfig } from "./node-process.js";
import { WebhookReceiver } from "./webhook-receiver.js";

/**
 * `keel db` on a PostgreSQL store, as an operator runs it: check, backup and restore through
 * pg_dump and pg_restore, rebuild-state, and `db copy` of a SQLite store that holds every kind of
 * row, made through the real CLI and node, then run on by a node started on the copy.
 */
const server = useTestPostgres();
const operatorFixture = fileURLToPath(
  new URL("./fixtures/operator-pipelines.mjs", import.meta.url),
);
const breakerFixture = fileURLToPath(new URL("./fixtures/breaker-pipelines.mjs", import.meta.url));
const gateFixture = fileURLToPath(new URL("./fixtures/gate-pipelines.mjs", import.meta.url));
const shadowFixture = fileURLToPath(new URL("./fixtures/shadow-pipelines.mjs", import.meta.url));
const progressFixture = fileURLToPath(
  new URL("./fixtures/progress-pipelines.mjs", import.meta.url),
);
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function storeUrl(schema: string, password?: string): string {
  const url = new URL(server().url);
  if (password) url.password = password;
  url.searchParams.set("schema", schema);
  return url.toString();
}

function ok(result: CliResult, what: string): CliResult {
  expect(result.code, `${what}: ${result.stderr}`).toBe(0);
  return result;
}

function json(home: string, args: string[], env: Record<string, string> = {}) {
  return JSON.parse(ok(keelCli(home, [...args, "--format", "json"], env), args.join(" ")).stdout);
}

const doc = (name: string): string => JSON.stringify({ name, text: `# ${name}\nThe pump.` });

describe("keel db on a PostgreSQL store", () => {
  it("check lists migrations and rows, and names a lease nobody took back", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pgdb-"));
    const schema = freshSchema("keel_dbcheck");
    const env = { KEEL_STORE: storeUrl(schema, "hunter2") };
    const id = json(home, ["submit", "document-analysis", "--input", doc("a")], env).id as string;
    const clean = json(home, ["db", "check"], env);
    expect(clean).toMatchObject({ ok: true, backend: "postgres", runs: 1, problems: [] });
    expect(clean.tables).toMatchObject({ runs: 1, transitions: 1, step_results: 0 });
    expect(clean.schema_version).toBe(clean.known_version);
    expect(clean.migrations.at(-1).version).toBe(clean.schema_version);
    expect(JSON.stringify(clean)).not.toContain("hunter2");

    // a node that died holding the run, two minutes ago, and no node since
    await onSchema(server().url, schema, (c) =>
      c.query(
        "UPDATE runs SET status = 'running', node_id = 'gone-node', lease_expires_at = (extract(epoch from now()) * 1000)::bigint - 120000 WHERE id = $1",
        [id],
      ),
    );
    const stuck = keelCli(home, ["db", "check", "--format", "json"], env);
    expect(stuck.code).toBe(1);
    const report = JSON.parse(stuck.stdout);
    expect(report.counts).toMatchObject({ stuck_lease: 1 });
    expect(report.problems).toContainEqual(
      expect.objectContaining({ code: "stuck_lease", run_id: id }),
    );
    expect(report.advice.join("\n")).toMatch(/keel start/);
    await dropSchema(server().url, schema);
  }, 60_000);

  it("backs up with pg_dump, restores with pg_restore and keeps the replaced schema", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pgdb-"));
    const schema = freshSchema("keel_dbbak");
    const env = { KEEL_STORE: storeUrl(schema) };
    const first = json(home, ["submit", "document-analysis", "--input", doc("a")], env).id;
    const backup = json(home, ["db", "backup"], env);
    expect(backup).toMatchObject({ integrity: "ok", runs: 1 });
    expect(backup.file).toMatch(/backups\/keel-.*\.pgdump$/);
    expect(statSync(backup.file).mode & 0o777).toBe(0o600);
    const second = json(home, ["submit", "document-analysis", "--input", doc("b")], env).id;

    const preview = keelCli(home, ["db", "restore", backup.file], env);
    expect(preview.code).toBe(2);
    expect(preview.stderr).toMatch(/--yes/);
    expect(json(home, ["jobs", "list"], env).runs).toHaveLength(2);

    const restored = json(home, ["db", "restore", backup.file, "--yes"], env);
    expect(restored).toMatchObject({ restored: true, runs: 1 });
    expect(restored.replaced).toMatch(new RegExp(`^${schema}_replaced_`));
    const ids = json(home, ["jobs", "list"], env).runs.map((r: { id: string }) => r.id);
    expect(ids).toEqual([first]);
    // the replaced store is kept, whole, under its new name
    const kept = await onSchema(server().url, restored.replaced, async (c) =>
      (await c.query("SELECT id FROM runs ORDER BY id")).rows.map((r: { id: string }) => r.id),
    );
    expect(kept).toEqual([first, second].sort());
    await dropSchema(server().url, restored.replaced);

    // a dump of another schema is refused by name, and changes nothing
    const other = freshSchema("keel_dbother");
    const wrong = keelCli(home, ["db", "restore", backup.file, "--yes"], {
      KEEL_STORE: storeUrl(other),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/backup_invalid.*holds no keel store in schema/);
    await dropSchema(server().url, schema);
  }, 120_000);

  it("without pg_dump on PATH, prints the exact command (no password) and exits 3", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pgdb-"));
    const env = { KEEL_STORE: storeUrl(freshSchema("keel_dbtool"), "hunter2"), PATH: home };
    const result = keelCli(home, ["db", "backup", "--to", join(home, "x.pgdump")], env);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/\[tool_missing\]: pg_dump is not on PATH/);
    expect(result.stderr).toContain(`PGPASSWORD=... pg_dump --format=custom --schema=keel_dbtool`);
    expect(result.stderr).toContain(`--file=${join(home, "x.pgdump")}`);
    expect(result.stderr).not.toContain("hunter2");
    expect(existsSync(join(home, "x.pgdump"))).toBe(false);
    expect(readdirSync(home).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("copies a SQLite store with every kind of row; a node on the copy has its history and runs new work", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pgcopy-"));
    const effects = join(home, "effects.log");
    const env = { KEEL_TEST_EFFECTS: effects, HOOK_SECRET: "copy-secret" };
    // a receiver that is down while the SQLite node queues notifications for it
    const receiver = new WebhookReceiver(env.HOOK_SECRET);
    await receiver.up();
    await receiver.down();
    writeConfig(
      home,
      [operatorFixture, breakerFixture, progressFixture, gateFixture, shadowFixture],
      `sources:\n  by-hand:\n    pipeline: ingest\n    input: {"text": "from a source"}\nbreakers:\n  embedding-api:\n    failure_threshold: 3\n` +
        `alerts:\n  interval_ms: 200\n  delivery: { base_delay_ms: 100, max_delay_ms: 400, drain_ms: 100 }\n` +
        `  receivers:\n    ops: { url: "${receiver.url}", secret_env: HOOK_SECRET, timeout_ms: 1000 }\n`,
    );
    const ingest = JSON.stringify({ text: "one two three" });
    ok(keelCli(home, ["start"], env), "start");
    let quarantined: string;
    let joinToken: string;
    let queuedDelivery: string;
    try {
      const first = json(home, ["submit", "ingest", "--input", ingest, "--wait"], env);
      ok(keelCli(home, ["golden", "save", first.id, "--name", "reference"], env), "golden");
      writeFileSync(`${effects}.release`, "");
      // a shadow of the same module, and a run it compares; a run waiting at its approval gate
      ok(
        keelCli(
          home,
          ["shadow", "start", "priced", "--version", shadowFixture, "--sample", "100%"],
          env,
        ),
        "shadow start",
      );
      json(home, ["submit", "priced", "--input", '{"amount": 2}', "--wait"], env);
      json(home, ["submit", "publish-report", "--input", '{"title": "moved"}'], env);
      for (let tries = 0; ; tries++) {
        const compared = json(home, ["shadow", "report", "priced"], env).reports[0]?.runs.compared;
        const open = json(home, ["gates", "list"], env).gates.length;
        if (compared >= 1 && open >= 1) break;
        if (tries > 150) throw new Error(`no shadow comparison or open gate: ${compared}, ${open}`);
        await sleep(200);
      }
      json(home, ["submit", "paged", "--input", "{}", "--wait"], env); // its progress reports
      joinToken = json(home, ["nodes", "token", "create", "--name", "moved"], env).token;
      ok(
        keelCli(home, ["alerts", "silence", "disk_warn", "--for", "1h", "--reason", "moving"], env),
        "silence",
      );
      writeFileSync(`${effects}.broken`, "");
      const bad = keelCli(
        home,
        ["submit", "ingest", "--input", ingest, "--wait", "--format", "json"],
        env,
      );
      quarantined = JSON.parse(bad.stdout).id;
      rmSync(`${effects}.broken`);
      json(home, ["submit", "embed-docs", "--input", ingest, "--wait"], env);
      ok(keelCli(home, ["sources", "trigger", "by-hand", "--wait"], env), "trigger");
      ok(keelCli(home, ["sources", "pause", "by-hand", "--reason", "moving"], env), "pause");
      ok(keelCli(home, ["breakers", "trip", "embedding-api", "--reason", "drill"], env), "trip");
      ok(keelCli(home, ["breakers", "reset", "embedding-api"], env), "reset");
      ok(
        keelCli(home, ["tokens", "create", "--role", "viewer", "--name", "grafana"], env),
        "token",
      );
      ok(keelCli(home, ["emergency", "on", "--reason", "drill"], env), "emergency on");
      // the alert fires; its notification waits in the outbox for the receiver that is down
      for (let tries = 0; ; tries++) {
        const shown = json(home, ["alerts", "show", "emergency_stop"], env);
        queuedDelivery = shown.queues[0]?.oldest.delivery_id;
        if (shown.state === "firing" && queuedDelivery) break;
        if (tries > 100) throw new Error(`emergency_stop never queued: ${JSON.stringify(shown)}`);
        await sleep(200);
      }
      ok(keelCli(home, ["emergency", "off", "--reason", "drill over"], env), "emergency off");
    } finally {
      ok(keelCli(home, ["stop"], env), "stop");
    }
    const schema = freshSchema("keel_copy");
    const to = storeUrl(schema);

    // refused while a node runs on the SQLite store: the copy would miss what it writes after
    ok(keelCli(home, ["start"], env), "start again");
    const busy = keelCli(home, ["db", "copy", "--to", to], env);
    ok(keelCli(home, ["stop"], env), "stop again");
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/node_running/);
    // counted after the last node stopped: the restart may evaluate alerts and add events
    const source = json(home, ["db", "check"], env);
    expect(source.ok).toBe(true);

    const copy = json(home, ["db", "copy", "--to", to], env);
    const copied = Object.fromEntries(
      copy.tables.map((t: { table: string; rows: number }) => [t.table, t.rows]),
    );
    for (const table of copiedTables) {
      expect(copied[table], table).toBeGreaterThan(0);
      expect(copied[table], table).toBe(source.tables[table]);
    }
    const pgEnv = { ...env, KEEL_STORE: to };
    const target = json(home, ["db", "check"], pgEnv);
    expect(target.ok).toBe(true);
    for (const table of Object.keys(copied)) expect(target.tables[table]).toBe(copied[table]);
    // node-local: the old host's processes and its hold on alert evaluation stay behind
    expect(source.tables.nodes).toBeGreaterThan(0);
    expect(target.tables).toMatchObject({ nodes: 0, alert_lease: 0 });

    // a node on the copy joins with the join token made on SQLite; the history is there,
    // quarantine, audit, goldens and silences included; the queued notification is delivered
    await receiver.up();
    ok(keelCli(home, ["start"], { ...pgEnv, KEEL_JOIN_TOKEN: joinToken }), "start on PostgreSQL");
    try {
      for (let tries = 0; !receiver.received.some((r) => r.delivery === queuedDelivery); tries++) {
        if (tries > 200) throw new Error(`${queuedDelivery} never delivered`);
        await sleep(100);
      }
      expect(receiver.received.every((r) => r.signed)).toBe(true);
      // read without blocking this process, whose event loop answers the receiver's requests
      const read = async (args: string[]) =>
        JSON.parse(
          (
            await run(process.execPath, [keelBin, "--home", home, ...args, "--format", "json"], {
              env: cliEnv(pgEnv),
              cwd: home,
            })
          ).stdout,
        );
      const goldens = (await read(["golden", "list"])).goldens;
      expect(goldens.map((g: { name: string }) => g.name)).toEqual(["reference"]);
      expect((await read(["alerts", "show", "disk_warn"])).silence).toMatchObject({
        reason: "moving",
      });
      const before = json(home, ["jobs", "list", "--limit", "100"], pgEnv).runs.length;
      expect(before).toBe(source.runs);
      const q = json(home, ["jobs", "list", "--status", "quarantined"], pgEnv).runs;
      expect(q.map((r: { id: string }) => r.id)).toEqual([quarantined]);
      const fresh = json(home, ["submit", "ingest", "--input", ingest, "--wait"], pgEnv);
      expect(fresh.status).toBe("succeeded");
      const audit = json(home, ["audit", "list"], pgEnv);
      expect(JSON.stringify(audit)).toMatch(/emergency\.on/);
      // a node works on the target: rebuild --apply and restore refuse
      const rebuild = keelCli(home, ["db", "rebuild-state", "--apply"], pgEnv);
      expect(rebuild.code).toBe(1);
      expect(rebuild.stderr).toMatch(/node_running.*stop every node/);
    } finally {
      ok(keelCli(home, ["stop"], pgEnv), "stop on PostgreSQL");
      await receiver.down();
    }

    // the target now holds a store: a second copy is refused and changes nothing, --replace redoes it
    const again = keelCli(home, ["db", "copy", "--to", to], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/store_not_empty.*--replace/);
    const replaced = json(home, ["db", "copy", "--to", to, "--replace"], env);
    expect(replaced.cleared).toContain("runs");
    expect(replaced.tables).toEqual(copy.tables);
    await dropSchema(server().url, schema);
    rmSync(home, { recursive: true, force: true });
  }, 300_000);
});
