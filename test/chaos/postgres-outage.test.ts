import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinToken, keelCli, keelJson } from "../integration/keel-cli.js";
import { writeConfig } from "../integration/node-process.js";
import {
  dropSchema,
  freshSchema,
  onSchema,
  restartableServer,
  testPostgres,
  type RestartableServer,
  type TestPostgres,
} from "../store/postgres-server.js";

/** the fault proxy in a child process: this one blocks on the CLI's spawnSync */
async function proxyProcess(port: number, host: string) {
  const child = spawn(process.execPath, [proxyScript, String(port), host], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await until("the proxy's port", () => /port \d+/.test(out), 10_000);
  const set = async (mode: string): Promise<void> => {
    child.stdin.write(`${mode}\n`);
    await until(`proxy mode ${mode}`, () => out.includes(`mode ${mode}\n`), 10_000);
    out = out.replaceAll(`mode ${mode}\n`, "");
  };
  return {
    port: Number(/port (\d+)/.exec(out)?.[1]),
    set,
    close: async () => {
      child.stdin.end();
      child.kill("SIGTERM");
    },
  };
}

/**
 * The PostgreSQL store taken away mid-load from a real node process: the server stopped and
 * started again (a throwaway server of the test's own, never the machine's), and every connection
 * cut by the TCP fault proxy. The node keeps its in-flight steps, holds their results, claims
 * nothing, and writes what it holds once the server is back: every run ends, each checkpoint is
 * recorded once, and health names the outage while it lasts.
 */
const fixture = fileURLToPath(new URL("./fixtures/paced-pipelines.mjs", import.meta.url));
const proxyScript = fileURLToPath(new URL("./fixtures/proxy-process.mjs", import.meta.url));
const RUNS = 16;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];
}

interface Load {
  home: string;
  env: Record<string, string>;
  effects: string;
}

function startLoad(storeUrl: string): Load {
  const home = mkdtempSync(join(tmpdir(), "keel-pg-outage-"));
  const effects = join(home, "effects.log");
  writeConfig(home, [fixture], "workers:\n  concurrency: 4\nnode:\n  lease_ms: 30000\n");
  const store = { KEEL_STORE: storeUrl, KEEL_TEST_EFFECTS: effects };
  const env = { ...store, KEEL_JOIN_TOKEN: joinToken(home, store) };
  const started = keelCli(home, ["start"], env);
  expect(started.code, started.stderr).toBe(0);
  for (let i = 0; i < RUNS; i++) keelJson(home, ["submit", "paced", "--input", `{"n":${i}}`], env);
  return { home, env, effects };
}

/** every run succeeded, and each step of each run has one checkpoint and one success transition */
async function assertOnce(url: string, schema: string): Promise<void> {
  await onSchema(url, schema, async (c) => {
    const runs = await c.query("SELECT status, count(*)::int AS n FROM runs GROUP BY status");
    expect(runs.rows).toEqual([{ status: "succeeded", n: RUNS }]);
    const checkpoints = await c.query("SELECT count(*)::int AS n FROM step_results");
    expect(checkpoints.rows[0].n).toBe(RUNS * 3);
    const twice = await c.query(
      "SELECT run_id, step, count(*)::int AS n FROM transitions WHERE step IS NOT NULL AND to_status = 'succeeded' GROUP BY run_id, step HAVING count(*) <> 1",
    );
    expect(twice.rows).toEqual([]);
    const succeeded = await c.query(
      "SELECT count(*)::int AS n FROM transitions WHERE step IS NULL AND to_status = 'succeeded'",
    );
    expect(succeeded.rows[0].n).toBe(RUNS);
  });
}

async function allDone(load: Load): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const result = keelCli(
      load.home,
      ["jobs", "list", "--status", "succeeded", "--format", "json"],
      load.env,
    );
    if (result.code === 0 && JSON.parse(result.stdout).runs.length === RUNS) return;
    if (Date.now() > deadline)
      throw new Error(`runs did not all succeed: ${result.stdout}${result.stderr}`);
    await sleep(250);
  }
}

describe("postgres: the server away mid-load", () => {
  let server: RestartableServer | undefined;
  beforeAll(async () => {
    server = await restartableServer();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("a restarted server: results held, nothing claimed, then written once; health names it", async () => {
    const pg = server as RestartableServer;
    const schema = freshSchema("keel_outage");
    const load = startLoad(`${pg.url}?schema=${schema}`);
    try {
      await until("steps under way", () => lines(load.effects).length >= 6);
      await pg.down();
      // steps finish meanwhile: their results are held in memory. The node names the outage
      // once one of its calls has failed (a heartbeat, a write): on a loaded machine that can take
      // longer than a heartbeat; until then its own look finds the server silent
      let store: { status: string; reason: string } | undefined;
      const reached = Date.now() + 20_000;
      for (;;) {
        const health = keelCli(
          load.home,
          ["health", "check", "store", "--format", "json"],
          load.env,
        );
        store = JSON.parse(health.stdout).components[0];
        expect(store?.status).toBe("unhealthy");
        if (/unreachable since/.test(store?.reason ?? "") || Date.now() > reached) break;
        await sleep(250);
      }
      expect(store?.reason).toMatch(
        /^PostgreSQL unreachable since \S+Z; \d+ results? held in memory/,
      );
      const ranWhileDown = lines(load.effects).length;
      await sleep(1500);
      // nothing new started while the server was away beyond the steps of runs already held
      expect(lines(load.effects).length - ranWhileDown).toBeLessThanOrEqual(4 * 3);
      await pg.up();
      await allDone(load);
      const after = keelCli(load.home, ["health", "check", "store", "--format", "json"], load.env);
      expect(JSON.parse(after.stdout).components[0].status).toBe("healthy");
    } finally {
      keelCli(load.home, ["stop"], load.env);
    }
    await assertOnce(pg.url, schema);
  }, 240_000);

  it("an idle node names the outage too: its heartbeat meets it", async () => {
    const pg = server as RestartableServer;
    const schema = freshSchema("keel_outage_idle");
    const home = mkdtempSync(join(tmpdir(), "keel-pg-outage-idle-"));
    writeConfig(home, [fixture], "node:\n  lease_ms: 30000\n");
    const store = { KEEL_STORE: `${pg.url}?schema=${schema}` };
    const env = { ...store, KEEL_JOIN_TOKEN: joinToken(home, store) };
    const started = keelCli(home, ["start"], env);
    expect(started.code, started.stderr).toBe(0);
    const storeHealth = () =>
      JSON.parse(keelCli(home, ["health", "check", "store", "--format", "json"], env).stdout)
        .components[0] as { status: string; reason: string };
    try {
      expect(storeHealth().status).toBe("healthy");
      // no run to claim and no step to write: only the heartbeat, every second, meets the outage
      await pg.down();
      let seen: { status: string; reason: string } | undefined;
      const deadline = Date.now() + 20_000;
      while (!/unreachable since/.test(seen?.reason ?? "") && Date.now() < deadline) {
        await sleep(250);
        seen = storeHealth();
      }
      expect(seen?.reason).toMatch(/^PostgreSQL unreachable since \S+Z; 0 results held in memory/);
      await pg.up();
      const back = Date.now() + 20_000;
      while (storeHealth().status !== "healthy" && Date.now() < back) await sleep(250);
      expect(storeHealth().status).toBe("healthy");
      // said once for the outage (by the heartbeat or a claim, whichever met it first), not a beat
      const log = readFileSync(join(home, "logs", "keel.log"), "utf8");
      expect(log.match(/"msg":"[^"]*the store is unreachable/g)).toHaveLength(1);
      expect(log.match(/"msg":"heartbeat failed/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(log).toContain("the store answers again after an outage");
    } finally {
      keelCli(home, ["stop"], env);
      await dropSchema(pg.url, schema).catch(() => undefined);
    }
  }, 120_000);
});

describe("postgres: connections cut by the fault proxy mid-load", () => {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await testPostgres();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("every connection reset for two seconds: every run ends, each checkpoint once", async () => {
    const pg = server as TestPostgres;
    const target = new URL(pg.url);
    const proxy = await proxyProcess(Number(target.port || 5432), target.hostname);
    const schema = freshSchema("keel_cut");
    const viaProxy = new URL(pg.url);
    viaProxy.port = String(proxy.port);
    viaProxy.searchParams.set("schema", schema);
    const load = startLoad(viaProxy.toString());
    try {
      await until("steps under way", () => lines(load.effects).length >= 6);
      await proxy.set("reset");
      await sleep(2000);
      await proxy.set("pass");
      await allDone(load);
    } finally {
      keelCli(load.home, ["stop"], load.env);
      await proxy.close();
    }
    await assertOnce(pg.url, schema);
    await dropSchema(pg.url, schema);
  }, 240_000);
});
