import { clusterHealth } from "../../src/ops/health/cluster.js";
import { defaultWindows, judgeNodes } from "../../src/ops/cluster.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { effectiveConfig, maskSecrets, maskedValue } from "../../src/ops/config-show.js";
import { loadConfig } from "../../src/ops/config.js";
import { checkBreakerHealth } from "../../src/ops/health/breakers.js";
import { checkDiskHealth, type StatfsFn } from "../../src/ops/health/disk.js";
import { checkHealth, worst } from "../../src/ops/health/index.js";
import { emergencyHealth } from "../../src/ops/health/emergency.js";
import { checkNodeHealth } from "../../src/ops/health/node.js";
import { checkQueueHealth, queueHealth } from "../../src/ops/health/queue.js";
import { checkStoreHealth } from "../../src/ops/health/store.js";
import { readStatus } from "../../src/ops/status.js";
import { openStore, storePathFor } from "../../src/store/open-store.js";
import type { NodeRecord } from "../../src/store/records.js";
import type { NewRun, Store } from "../../src/store/store.js";

const NOW = 1_800_000_000_000;

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "keel-health-"));
}

function newRun(id: string, scheduledFor: number): NewRun {
  return {
    id,
    pipeline: "p1",
    pipelineVersion: "v1",
    input: {},
    priority: 0,
    idempotencyKey: null,
    source: "test",
    traceId: `t-${id}`,
    seed: 1,
    scheduledFor,
    createdAt: scheduledFor,
    actor: "test",
  };
}

async function withStore<T>(home: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore({ home });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function node(overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    id: "n1",
    host: "h1",
    pid: 42,
    process: null,
    capabilities: [],
    state: "active",
    version: "0.1.0",
    startedAt: NOW - 60_000,
    heartbeatAt: NOW - 1000,
    pools: {},
    slots: 0,
    joinTokenId: null,
    drainDeadline: null,
    progressAt: null,
    blocked: null,
    ...overrides,
  };
}

const statfs =
  (usedRatio: number): StatfsFn =>
  () => ({ bsize: 4096, blocks: 1000, bavail: Math.round(1000 * (1 - usedRatio)) });

describe("health checks", () => {
  it("worst of the components wins", () => {
    expect(worst([])).toBe("healthy");
    expect(worst(["healthy", "degraded"])).toBe("degraded");
    expect(worst(["degraded", "unhealthy", "healthy"])).toBe("unhealthy");
  });

  it("disk: degraded at 80 % used, unhealthy at 90 %, unhealthy when statfs fails", () => {
    expect(checkDiskHealth("/d", statfs(0.5)).status).toBe("healthy");
    expect(checkDiskHealth("/d", statfs(0.79)).status).toBe("healthy");
    const degraded = checkDiskHealth("/d", statfs(0.8));
    expect(degraded.status).toBe("degraded");
    expect(degraded.reason).toMatch(/80% used/);
    expect(checkDiskHealth("/d", statfs(0.95)).status).toBe("unhealthy");
    const failing = checkDiskHealth("/d", () => {
      throw new Error("ENOENT");
    });
    expect(failing).toMatchObject({ status: "unhealthy", component: "disk" });
    // the real statfs on a real folder
    expect(checkDiskHealth(tempHome()).details.totalBytes).toBeGreaterThan(0);
  });

  it("node: unhealthy without a live pid, degraded when unregistered, stale or draining", () => {
    const base = { host: "h1", now: NOW };
    expect(checkNodeHealth({ ...base, pid: null, nodes: [node()] }).status).toBe("unhealthy");
    expect(checkNodeHealth({ ...base, pid: 42, nodes: [] }).status).toBe("degraded");
    expect(checkNodeHealth({ ...base, pid: 42, nodes: [node()] })).toMatchObject({
      status: "healthy",
      details: { nodeId: "n1", heartbeatAgeMs: 1000 },
    });
    const stale = checkNodeHealth({
      ...base,
      pid: 42,
      nodes: [node({ heartbeatAt: NOW - 6000 })],
    });
    expect(stale.status).toBe("degraded");
    expect(stale.reason).toMatch(/6\.0 s ago/);
    expect(checkNodeHealth({ ...base, pid: 42, nodes: [node({ state: "draining" })] }).status).toBe(
      "degraded",
    );
    // a node of another host with the same pid is not this home's node
    expect(checkNodeHealth({ ...base, pid: 42, nodes: [node({ host: "h2" })] }).status).toBe(
      "degraded",
    );
  });

  it("node: reads the nodes of a real store", async () => {
    const home = tempHome();
    await withStore(home, async (store) => {
      await store.registerNode({
        id: "n1",
        host: hostname(),
        pid: process.pid,
        capabilities: [],
        version: "0.1.0",
        now: NOW,
      });
      const nodes = await store.listNodes();
      expect(
        checkNodeHealth({ pid: process.pid, nodes, host: hostname(), now: NOW + 500 }).status,
      ).toBe("healthy");
      expect(
        checkNodeHealth({ pid: process.pid, nodes, host: hostname(), now: NOW + 5001 }).status,
      ).toBe("degraded");
    });
  });

  it("emergency: degraded while on, naming when, who and why; the queue names the stop", () => {
    const off = { on: false, reason: null, abort: false, actor: null, at: null };
    expect(emergencyHealth(off, NOW)).toMatchObject({ status: "healthy" });
    const on = { on: true, reason: "INC-9", abort: false, actor: "cli:dana", at: NOW - 90_000 };
    expect(emergencyHealth(on, NOW)).toMatchObject({
      component: "emergency",
      status: "degraded",
      reason: `emergency stop on: since ${new Date(NOW - 90_000).toISOString()} (90 s ago), set by cli:dana: INC-9; no node starts a step until \`keel emergency off\``,
    });
    expect(queueHealth(NOW - 120_000, NOW, 60_000, on)).toMatchObject({
      status: "degraded",
      reason: expect.stringMatching(
        /wait because the emergency stop is on \(since .* cli:dana: INC-9\)$/,
      ),
    });
    // nothing waits: the stop is not named as a cause
    expect(queueHealth(null, NOW, 60_000, on).reason).toBe("no run is waiting");
  });

  it("queue: degraded when the oldest due pending run waited the threshold", async () => {
    expect(queueHealth(null, NOW).status).toBe("healthy");
    expect(queueHealth(NOW + 10_000, NOW)).toMatchObject({
      status: "healthy",
      reason: "no run is waiting",
    });
    const home = tempHome();
    await withStore(home, async (store) => {
      expect((await checkQueueHealth(store, NOW)).status).toBe("healthy");
      await store.registerPipelines([
        { name: "p1", version: "v1", steps: [{ name: "a", after: [] }], registeredAt: NOW },
      ]);
      await store.submitRuns([newRun("r1", NOW - 90_000), newRun("r2", NOW - 1000)]);
      const late = await checkQueueHealth(store, NOW);
      expect(late).toMatchObject({
        status: "degraded",
        details: { oldestDueAt: NOW - 90_000, waitingMs: 90_000 },
      });
      expect(late.reason).toMatch(/waited 90 s/);
      expect((await checkQueueHealth(store, NOW, 120_000)).status).toBe("healthy");
    });
  });

  it("store: healthy on a real store, unhealthy when missing or corrupt", async () => {
    const home = tempHome();
    const file = storePathFor(home);
    const open = (): Store => openStore({ home, readonly: true });
    expect((await checkStoreHealth(file, open)).status).toBe("unhealthy");
    await withStore(home, async (store) => {
      await store.submitRuns([newRun("r1", NOW)]);
    });
    expect(await checkStoreHealth(file, open)).toMatchObject({
      status: "healthy",
      details: { runs: 1 },
    });
    const bad = tempHome();
    writeFileSync(storePathFor(bad), "not a database at all, just some bytes".repeat(200));
    const corrupt = await checkStoreHealth(storePathFor(bad), () =>
      openStore({ home: bad, readonly: true }),
    );
    expect(corrupt.status).toBe("unhealthy");
    expect(corrupt.reason).toMatch(/corrupt/);
  });

  it("checkHealth: the worst component decides, the statfs stub reaches the disk check", async () => {
    const home = tempHome();
    await withStore(home, async () => undefined);
    const report = await checkHealth(home, {
      components: ["store", "disk"],
      statfs: statfs(0.85),
    });
    expect(report.components.map((c) => [c.component, c.status])).toEqual([
      ["store", "healthy"],
      ["disk", "degraded"],
    ]);
    expect(report.status).toBe("degraded");
    const all = await checkHealth(home, { statfs: statfs(0.1) });
    expect(all.components.map((c) => c.component)).toEqual([
      "store",
      "node",
      "queue",
      "disk",
      "breakers",
      "workers",
      "scheduler",
      "emergency",
      "alerts",
      "cluster",
    ]);
    expect(all.status).toBe("unhealthy"); // no node runs
    expect(all.components.find((c) => c.component === "workers")?.status).toBe("unhealthy");
    expect(all.components.find((c) => c.component === "scheduler")).toMatchObject({
      status: "healthy",
      reason: "no sources",
    });
  });

  it("checkHealth and readStatus look at KEEL_STORE's file when it is set, not the home's", async () => {
    const home = tempHome();
    const file = join(tempHome(), "shared.db");
    process.env.KEEL_STORE = file;
    try {
      await withStore(home, (store) => store.submitRuns([newRun("r1", NOW)]));
      const { components } = await checkHealth(home, { components: ["store"] });
      expect(components[0]).toMatchObject({ status: "healthy", details: { file, runs: 1 } });
      const status = await readStatus(home, NOW);
      expect(status.store).toMatchObject({ file, state: "ok" });
      expect(status.runs).toMatchObject({ pending: 1 });
    } finally {
      delete process.env.KEEL_STORE;
    }
  });
});

describe("breakers health", () => {
  it("is degraded while a breaker is open, with its reason, and healthy once it is reset", async () => {
    await withStore(tempHome(), async (store) => {
      expect(await checkBreakerHealth(store)).toMatchObject({
        status: "healthy",
        reason: "no breaker recorded yet",
      });
      const api = {
        name: "embedding-api",
        failureThreshold: 5,
        recoveryTimeoutMs: 60_000,
        halfOpenRequests: 3,
        probe: false,
      };
      await store.upsertBreakers([api, { ...api, name: "ocr" }], "test", NOW);
      await store.tripBreaker("embedding-api", {
        reason: "vendor outage",
        actor: "cli:dave",
        at: NOW,
      });
      const open = await checkBreakerHealth(store);
      expect(open).toMatchObject({
        component: "breakers",
        status: "degraded",
        reason: "embedding-api is open (tripped by cli:dave: vendor outage)",
      });
      await store.resetBreaker("embedding-api", { reason: null, actor: "cli:dave", at: NOW + 1 });
      expect(await checkBreakerHealth(store)).toMatchObject({
        status: "healthy",
        reason: "2 breaker(s) closed",
      });
    });
  });
});

describe("config show masking", () => {
  it("masks every key that names a token, secret, password or ends in key", () => {
    const masked = maskSecrets({
      workers: { concurrency: 3 },
      alerts: { webhook_token: "abc", api_key: "k", Password: "p", keys: ["a"] },
      client_secret: { nested: 1 },
      list: [{ apiKey: "x", name: "n" }],
      idempotency_keyspace: "shown",
      empty_token: null,
    });
    expect(masked).toEqual({
      workers: { concurrency: 3 },
      alerts: {
        webhook_token: maskedValue,
        api_key: maskedValue,
        Password: maskedValue,
        keys: ["a"],
      },
      client_secret: maskedValue,
      list: [{ apiKey: maskedValue, name: "n" }],
      idempotency_keyspace: "shown",
      empty_token: null,
    });
  });
});

describe("config show origins", () => {
  it("says whether each top-level value is a default, from the file or from KEEL_*", () => {
    const home = tempHome();
    const file = join(home, "keel.yaml");
    writeFileSync(file, "node:\n  poll_ms: 500\nworkers:\n  concurrency: 4\n");
    const env = { KEEL_WORKERS_CONCURRENCY: "3", KEEL_STORE: "sqlite:/elsewhere.db" };
    const shown = effectiveConfig(loadConfig(file, env), ["node", "workers"], env);
    expect(shown.file).toBe(file);
    expect(shown.config).toMatchObject({ workers: { concurrency: 3 }, node: { poll_ms: 500 } });
    expect(shown.config).not.toHaveProperty("pipelineModules");
    // KEEL_STORE is the store URL, not the store section
    expect(shown.origins).toMatchObject({
      workers: "env",
      node: "file",
      store: "default",
      retry: "default",
    });
  });

  it("cluster: names a capability no live node offers, a late heartbeat and a stuck node", () => {
    const view = {
      now: NOW,
      nodes: [
        node({ id: "gpu-less", capabilities: ["cpu"], slots: 4, heartbeatAt: NOW - 3000 }),
        node({ id: "quiet", capabilities: ["cpu"], slots: 2, progressAt: NOW - 300_000 }),
      ],
    };
    const health = clusterHealth({
      nodes: judgeNodes(view, defaultWindows),
      placed: [
        {
          placement: { requires: ["gpu"], pool: "" },
          runs: 12,
          oldestDueAt: NOW - 200_000,
          runIds: [],
        },
      ],
      dueAt: NOW - 200_000,
      now: NOW,
      windows: defaultWindows,
    });
    expect(health.status).toBe("degraded");
    expect(health.reason).toMatch(/no live node offers gpu; 12 run\(s\) wait/);
    expect(health.reason).toMatch(/node gpu-less heartbeat is 3 s late/);
    expect(health.reason).toMatch(
      /node quiet heartbeats but finished no step .*keel nodes drain quiet/,
    );
    expect(health.details).toMatchObject({ online: 2, capacity: { cpu: 6 } });
  });
});
