import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { keel, type Keel } from "../../src/index.js";
import { createJoinToken } from "../../src/ops/join-tokens.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { RunRecord } from "../../src/store/records.js";
import { startNode, useNodes, type NodeProcess } from "../integration/node-process.js";
import { dropSchema, freshSchema, useTestPostgres } from "../store/postgres-server.js";

/**
 * A cluster of real `keel start` processes on one PostgreSQL schema of its own, each with its own
 * host identity (KEEL_HOST_ID) and a join token, so nodes judge each other by heartbeats only.
 * Short windows: heartbeat 200 ms, offline after 1.5 s, leases 2 s.
 */
export const fixture = fileURLToPath(new URL("./fixtures/cluster-pipelines.mjs", import.meta.url));

export interface Cluster {
  url: string;
  schema: string;
  home: string;
  effects: string;
  client: Keel;
  store: PostgresStore;
  token: string;
  start(hostId: string, env?: Record<string, string>, options?: { prefix?: string[] }): NodeProcess;
}

export function useCluster(): () => Promise<Cluster> {
  const server = useTestPostgres();
  const nodes = useNodes();
  const made: Cluster[] = [];
  afterEach(async () => {
    // nodes first (a stopped one may hold locks the cleanup would wait for)
    for (const node of nodes)
      if (node.child.exitCode === null && node.child.signalCode === null)
        node.child.kill("SIGKILL");
    for (const c of made.splice(0)) {
      await c.client.stop();
      await c.store.close();
      await dropSchema(c.url, c.schema);
      rmSync(c.home, { recursive: true, force: true });
    }
  }, 30_000);
  return async () => {
    const { url } = server();
    const schema = freshSchema("keel_cluster");
    const store = PostgresStore.open({ url, schema, poolSize: 4 });
    await store.ready();
    const client = keel({ store });
    const home = mkdtempSync(join(tmpdir(), "keel-cluster-"));
    const effects = join(home, "effects.log");
    const { token } = await createJoinToken(store, { name: "chaos", actor: "test" });
    const storeUrl = `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`;
    const cluster: Cluster = {
      url,
      schema,
      home,
      effects,
      client,
      store,
      token,
      start(hostId, env = {}, options = {}) {
        const nodeHome = join(home, hostId);
        mkdirSync(nodeHome, { recursive: true, mode: 0o700 });
        const config = join(home, "keel.yaml");
        writeConfigOnce(config);
        const node = startNode(
          nodeHome,
          config,
          {
            KEEL_STORE: storeUrl,
            KEEL_HOST_ID: hostId,
            KEEL_JOIN_TOKEN: token,
            KEEL_TEST_EFFECTS: effects,
            ...env,
          },
          { prefix: options.prefix },
        );
        nodes.push(node);
        return node;
      },
    };
    made.push(cluster);
    return cluster;
  };
}

function writeConfigOnce(file: string): void {
  writeFileSync(
    file,
    [
      "pipelines:",
      `  - ${JSON.stringify(fixture)}`,
      "server:",
      "  enabled: false",
      "workers:",
      "  concurrency: 4",
      "node:",
      "  lease_ms: 2000",
      "  heartbeat_ms: 200",
      "  poll_ms: 200",
      "cluster:",
      "  offline_after_ms: 1500",
      "disk:",
      "  enabled: false",
      "",
    ].join("\n"),
  );
}

export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  message: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** every run succeeded, and each of its steps has exactly one checkpoint and one "succeeded" */
export async function expectAllDoneOnce(
  c: Cluster,
  runs: RunRecord[],
  steps: string[],
): Promise<void> {
  for (const run of runs) {
    const got = await c.store.getRun(run.id);
    expect(got?.status, `run ${run.id}`).toBe("succeeded");
    const results = await c.store.listStepResults(run.id);
    expect(results.map((r) => r.step).sort()).toEqual([...steps].sort());
    const succeeded = (await c.store.listTransitions(run.id)).filter(
      (t) => t.step !== null && t.to === "succeeded",
    );
    expect(succeeded.map((t) => t.step).sort(), `checkpoints of ${run.id}`).toEqual(
      [...steps].sort(),
    );
  }
  const integrity = await c.store.checkIntegrity();
  expect(integrity.problems).toEqual([]);
}

/** how many times each "run step" ran, by host */
export function effects(c: Cluster): { run: string; step: string; host: string }[] {
  let text = "";
  try {
    text = readFileSync(c.effects, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [run = "", step = "", host = ""] = line.split(" ");
      return { run, step, host };
    });
}

/** the fixture's pipelines, as the nodes load them (from dist/) */
export async function fixturePipelines(): Promise<{ work: never; placed: never }> {
  return (await import(fixture)) as { work: never; placed: never };
}
