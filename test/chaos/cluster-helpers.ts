import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { keel, type Keel } from "../../src/index.js";
import { listClusterNodes } from "../../src/ops/cluster.js";
import { createJoinToken } from "../../src/ops/join-tokens.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { RunRecord, TransitionRecord } from "../../src/store/records.js";
import { keelCli, type CliResult } from "../integration/keel-cli.js";
import { startNode, useNodes, type NodeProcess } from "../integration/node-process.js";
import { dropSchema, freshSchema, useTestPostgres } from "../store/postgres-server.js";

/**
 * A cluster of real `keel start` processes on one PostgreSQL schema of its own, each with its own
 * host identity (KEEL_HOST_ID) and a join token, so nodes judge each other by heartbeats only.
 * Short windows: heartbeat 200 ms, offline after 1.5 s, leases 2 s (a case may widen the last two
 * where a node must not be taken for silent under the machine's load).
 */
export const fixture = fileURLToPath(new URL("./fixtures/cluster-pipelines.mjs", import.meta.url));

export interface Cluster {
  url: string;
  schema: string;
  home: string;
  effects: string;
  client: Keel;
  store: PostgresStore;
  /** the KEEL_STORE the nodes and the CLI use */
  storeUrl: string;
  token: string;
  start(hostId: string, env?: Record<string, string>, options?: { prefix?: string[] }): NodeProcess;
  /** the keel CLI on this cluster's store, as an operator runs it */
  cli(args: string[]): CliResult;
}

export interface ClusterWindows {
  offlineAfterMs?: number;
  leaseMs?: number;
}

export function useCluster(): (windows?: ClusterWindows) => Promise<Cluster> {
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
  return async (windows = {}) => {
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
      storeUrl,
      token,
      cli: (args) => keelCli(home, args, { KEEL_STORE: storeUrl }),
      start(hostId, env = {}, options = {}) {
        const nodeHome = join(home, hostId);
        mkdirSync(nodeHome, { recursive: true, mode: 0o700 });
        const config = join(home, "keel.yaml");
        writeConfigOnce(config, windows);
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

function writeConfigOnce(file: string, windows: ClusterWindows): void {
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
      `  lease_ms: ${windows.leaseMs ?? 2000}`,
      "  heartbeat_ms: 200",
      "  poll_ms: 200",
      "cluster:",
      `  offline_after_ms: ${windows.offlineAfterMs ?? 1500}`,
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

/**
 * The load every chaos case starts from: nodes of the given host identities, ready, and `count`
 * runs of the three-step pipeline, once `busy` (a node in the middle) has run `busySteps` steps
 * of them, so a fault meets runs in flight there.
 */
export async function loadedCluster(
  c: Cluster,
  options: {
    stepMs: number;
    count: number;
    hosts?: string[];
    busy?: string;
    busySteps?: number;
    /** how to start a host's node, where it differs (its store URL, a command prefix) */
    on?: Record<string, { env?: Record<string, string>; prefix?: string[] }>;
  },
): Promise<{ nodes: NodeProcess[]; runs: RunRecord[] }> {
  const hosts = options.hosts ?? ["h1", "h2", "h3"];
  const nodes = hosts.map((h) =>
    c.start(
      h,
      { KEEL_TEST_STEP_MS: String(options.stepMs), ...options.on?.[h]?.env },
      { prefix: options.on?.[h]?.prefix },
    ),
  );
  await Promise.all(nodes.map((n) => n.ready));
  const runs = await submitWork(c, options.count);
  const busy = options.busy ?? "h2";
  await waitFor(
    async () => effects(c).filter((e) => e.host === busy).length >= (options.busySteps ?? 2),
    20_000,
    `${busy} ran steps`,
  );
  return { nodes, runs };
}

/** `count` runs of the three-step pipeline (steps a, b, c) */
export async function submitWork(c: Cluster, count: number): Promise<RunRecord[]> {
  const { work } = await fixturePipelines();
  return c.client.submitMany(work, Array.from({ length: count }, (_, n) => ({ n })) as never[]);
}

export async function allSucceeded(c: Cluster, runs: RunRecord[], timeoutMs = 40_000) {
  await waitFor(
    async () =>
      // the count first: one query a look until it can be true, then each run
      ((await c.store.countRunsByStatus()).succeeded ?? 0) >= runs.length &&
      (await Promise.all(runs.map((r) => c.store.getRun(r.id)))).every(
        (r) => r?.status === "succeeded",
      ),
    timeoutMs,
    `all ${runs.length} runs succeeded`,
  );
}

/**
 * The chaos cases' end: every run of the three-step pipeline succeeded, each checkpoint recorded
 * once, and `keel db check` finds nothing.
 */
export async function endedOnce(c: Cluster, runs: RunRecord[], timeoutMs = 40_000) {
  await allSucceeded(c, runs, timeoutMs);
  await expectAllDoneOnce(c, runs, ["a", "b", "c"]);
  expectDbCheckClean(c);
}

/** every transition of these runs, in id order */
export async function transitionsOf(c: Cluster, runs: RunRecord[]): Promise<TransitionRecord[]> {
  const all = (await Promise.all(runs.map((r) => c.store.listTransitions(r.id)))).flat();
  return all.sort((a, b) => a.id - b.id);
}

/** the runs of `runs` a node holds now (running under its lease) */
export async function heldBy(c: Cluster, runs: RunRecord[], nodeId: string): Promise<string[]> {
  return (await Promise.all(runs.map((r) => c.store.getRun(r.id))))
    .filter((r) => r?.status === "running" && r.nodeId === nodeId)
    .map((r) => r!.id);
}

/** the claims a node made among these runs' transitions, after a transition id */
export async function claimsBy(
  c: Cluster,
  runs: RunRecord[],
  nodeId: string,
  afterId = 0,
): Promise<TransitionRecord[]> {
  return (await transitionsOf(c, runs)).filter(
    (t) => t.reason === "claimed" && t.actor === nodeId && t.id > afterId,
  );
}

/** the id of the node of a host identity, once it registered */
export async function nodeIdOf(c: Cluster, host: string): Promise<string> {
  return waitFor(
    async () => (await listClusterNodes(c.store)).nodes.find((n) => n.host === host)?.id,
    10_000,
    `node ${host} registered`,
  );
}

/** `keel db check` on the cluster's store: exit 0, no finding */
export function expectDbCheckClean(c: Cluster): void {
  const check = c.cli(["db", "check", "--format", "json"]);
  expect(check.code, check.stderr).toBe(0);
  expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, problems: [] });
}
