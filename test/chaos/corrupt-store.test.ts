import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { keel, type Keel } from "../../src/index.js";
import { Database } from "../../src/store/sqlite/driver.js";
import { keelCli, keelJson, spawnKeelCli } from "../integration/keel-cli.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import { damageObject, type PageInfo } from "../store/sqlite-pages.js";
import { expectStoreIntact, healthOf, nodeApi, waitFor } from "./helpers.js";

/**
 * A store file damaged on disk under a running `keel start` node: bytes of one page changed in
 * the real keel.db (the WAL checkpointed into it first, so the damaged page is the newest copy of
 * it) while runs are in flight. Damage confined to an index is repaired by the node itself and the
 * runs finish; damage to a table's rows stops the node from claiming or writing anything, health
 * names the recovery, and after the operator's stop, restore, rebuild-state and start every run
 * that was acknowledged finishes, each checkpoint once.
 */
const fixture = fileURLToPath(new URL("./fixtures/corrupt-pipelines.mjs", import.meta.url));
const seeds = 100;
const gatedRuns = 4;

let node: NodeProcess | undefined;
let client: Keel | undefined;

afterEach(async () => {
  await client?.stop();
  client = undefined;
  if (node && node.child.exitCode === null && node.child.signalCode === null)
    node.child.kill("SIGKILL");
  node = undefined;
});

interface Setup {
  home: string;
  file: string;
  gate: string;
  config: string;
  env: Record<string, string>;
  gated: string[];
}

/** A node with `seeds` finished runs and `gatedRuns` runs held in flight by their first step. */
async function nodeWithRunsInFlight(): Promise<Setup> {
  const home = mkdtempSync(join(tmpdir(), "keel-corrupt-"));
  const config = writeConfig(
    home,
    [fixture],
    `workers:\n  concurrency: ${gatedRuns + 2}\nstore:\n  check_interval_ms: 200\n`,
  );
  const gate = join(home, "gate");
  const env = { KEEL_TEST_GATE: gate, KEEL_LOG_LEVEL: "warn" };
  node = startNode(home, config, env);
  await node.ready;
  client = keel({ home, logger: pino({ level: "silent" }) });
  const done = await client.submitMany(
    "seed",
    Array.from({ length: seeds }, (_, n) => ({ n })),
  );
  for (const r of done) await client.wait(r.id, { timeoutMs: 20_000 });
  const gated = await client.submitMany(
    "gated",
    Array.from({ length: gatedRuns }, (_, n) => ({ n })),
  );
  await waitFor(
    async () => (await client!.list({ status: "running" })).runs.length === gatedRuns,
    10_000,
    "the gated runs are claimed",
  );
  return { home, file: join(home, "keel.db"), gate, config, env, gated: gated.map((r) => r.id) };
}

async function storeHealth(home: string) {
  const store = await healthOf(home, "store");
  return store as typeof store & { details: Record<string, unknown> };
}

/** Commits seen by a connection of its own: equal readings mean nobody wrote in between. */
function dataVersion(db: InstanceType<typeof Database>): number {
  return db.pragma("data_version", { simple: true }) as number;
}

describe("a store file damaged under a running node", () => {
  it("damage confined to an index: the node rebuilds it by itself, and the runs finish", async () => {
    const s = await nodeWithRunsInFlight();
    expect((await storeHealth(s.home)).status).toBe("healthy");
    // the runs by status index: nothing rewrites it while the gated runs are held
    const page = damageObject(s.file, "runs_status", "header");

    const healed = await waitFor(
      async () => {
        const store = await storeHealth(s.home);
        return store.details.last_repair ? store : null;
      },
      15_000,
      `the node repairs page ${page} of runs_status`,
    );
    expect(healed.status).toBe("healthy");
    expect(healed.reason).toMatch(/repaired itself at .*rebuilt runs_status in new pages/);
    expect(healed.details).toMatchObject({
      state: "ok",
      last_repair: {
        actions: ["rebuilt runs_status in new pages", "compacted the file (VACUUM)"],
        findings: expect.arrayContaining([
          expect.objectContaining({ damage: "index", object: "runs_status" }),
        ]),
      },
    });
    // it went unhealthy on the way: the node said so (its log reaches this process a little later)
    await waitFor(
      () => /the store repaired itself/.test(node!.output()),
      5000,
      `the node logs the repair: ${node!.output()}`,
    );
    expect(node!.output()).toMatch(
      /the store's indexes are damaged \(index runs_status\): repairing/,
    );
    const audit = await nodeApi(s.home, "/v1/audit?action=store.repair");
    expect(audit.body.entries).toMatchObject([{ actor: "keel:store-watch", target: "store" }]);

    writeFileSync(s.gate, "");
    const later = await client!.submitMany("seed", [{ n: 1000 }, { n: 1001 }]);
    for (const id of [...s.gated, ...later.map((r) => r.id)])
      expect((await client!.wait(id, { timeoutMs: 20_000 })).status).toBe("succeeded");
    node!.child.kill("SIGTERM");
    expect(await node!.exited).toBe(0);
    await client!.stop();
    client = undefined;
    expectStoreIntact(s.home, seeds + gatedRuns + 2, 2);
    rmSync(s.home, { recursive: true, force: true });
  }, 120_000);

  it("damage to a table's rows: nothing more written, health names the recovery, and after it every acknowledged run finishes", async () => {
    const s = await nodeWithRunsInFlight();
    // due a little later: they must still be pending when the damage has long been found
    const delayed = await client!.submitMany(
      "seed",
      [0, 1, 2, 3, 4].map((n) => ({ n: 500 + n })),
      { at: Date.now() + 3000 },
    );
    const backup = keelJson(s.home, ["db", "backup"]).file as string;
    // the first leaf of the runs table holds seed rows only: finished, never rewritten
    const page = damageObject(s.file, "runs", "header", (pages: PageInfo[]) =>
      pages.find((p) => p.pagetype === "leaf"),
    );

    const damaged = await waitFor(
      async () => {
        const store = await storeHealth(s.home);
        return store.details.state === "damaged" ? store : null;
      },
      15_000,
      `the node finds page ${page} of the runs table damaged`,
    );
    expect(damaged.status).toBe("unhealthy");
    expect(damaged.reason).toMatch(
      /^the store file is damaged \(table runs\): the node claims nothing/,
    );
    expect(damaged.reason).toContain(`keel db restore ${backup} --yes --home ${s.home}`);
    expect(damaged.details.advice).toEqual([
      `keel stop --home ${s.home}`,
      `keel db restore ${backup} --yes --home ${s.home}`,
      `keel db rebuild-state --apply --home ${s.home}`,
      `keel start --home ${s.home}`,
    ]);
    expect((await nodeApi(s.home, "/health")).status).toBe(503);
    const health = keelCli(s.home, ["health"]);
    expect(health.code).toBe(2);
    expect(health.stdout).toMatch(/store\s+unhealthy/);

    // a submit is refused, not acknowledged: a restore would lose it
    const refused = keelCli(s.home, ["submit", "seed", "--input", '{"n":999}']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/store_corrupt.*keel db restore/);

    // the gated runs finish their steps and the delayed runs fall due: nothing is claimed or written
    const watcher = new Database(s.file, { readonly: true, fileMustExist: true });
    const before = dataVersion(watcher);
    writeFileSync(s.gate, "");
    await waitFor(() => Date.now() > delayed[0]!.scheduledFor + 1500, 10_000, "delayed runs due");
    expect(dataVersion(watcher)).toBe(before);
    // by primary key: the damaged page holds none of these rows
    const statusOf = watcher.prepare("SELECT status FROM runs WHERE id = ?").pluck();
    const statuses = [...s.gated, ...delayed.map((r) => r.id)].map((id) => statusOf.get(id));
    watcher.close();
    expect(statuses).toEqual([...s.gated.map(() => "running"), ...delayed.map(() => "pending")]);

    // the operator's recovery, as health named it
    await client!.stop();
    client = undefined;
    // not spawnSync: this process must stay free to reap its child, or `keel stop` waits on a zombie
    const stop = spawnKeelCli(s.home, ["stop"]);
    expect(await stop.exited, stop.stderr()).toBe(0);
    expect(await node!.exited).toBe(0);
    const restored = keelJson(s.home, ["db", "restore", backup, "--yes"]);
    expect(restored).toMatchObject({ restored: true, runs: seeds + gatedRuns + delayed.length });
    keelJson(s.home, ["db", "rebuild-state", "--apply"]);
    node = startNode(s.home, s.config, s.env);
    await node.ready;
    client = keel({ home: s.home, logger: pino({ level: "silent" }) });
    for (const id of [...s.gated, ...delayed.map((r) => r.id)])
      expect((await client.wait(id, { timeoutMs: 20_000 })).status).toBe("succeeded");
    expect((await storeHealth(s.home)).status).toBe("healthy");
    await client.stop();
    client = undefined;
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    // every run acknowledged before the damage, and only those, succeeded; each checkpoint once
    expectStoreIntact(s.home, seeds + gatedRuns + delayed.length, 2);
    rmSync(s.home, { recursive: true, force: true });
  }, 180_000);
});
