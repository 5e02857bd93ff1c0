import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "keel-cli-status-"));
}

describe("keel status and health", () => {
  it("reports no node and an unhealthy home before `keel start`", () => {
    const home = tempHome();
    const status = keelCli(home, ["status", "--format", "json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      home,
      node: { running: false, pid: null, node_id: null, uptime_ms: null },
      nodes: [],
      runs: {},
      pipelines: [],
      workers: null,
      sources: [],
    });
    const table = keelCli(home, ["status"]).stdout;
    expect(table).toMatch(/no node running/);
    expect(table).toMatch(/workers: - \(no node answers\)/);
    // a look changes nothing: the store is not created
    expect(existsSync(join(home, "keel.db"))).toBe(false);

    const health = keelCli(home, ["health", "--format", "json"]);
    expect(health.code).toBe(2);
    const report = JSON.parse(health.stdout);
    expect(report.status).toBe("unhealthy");
    expect(report.components.map((c: { component: string }) => c.component)).toEqual([
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
    const node = report.components.find((c: { component: string }) => c.component === "node");
    expect(node).toMatchObject({ status: "unhealthy" });
    expect(node.reason).toMatch(/no keel node is running/);

    const unknown = keelCli(home, ["health", "check", "cpu"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown component "cpu"; components: store, node, queue, disk, breakers, workers, scheduler, emergency, alerts, cluster/,
    );
  }, 60_000);

  it("reports the running node, its runs and pipelines; health is healthy", () => {
    const home = tempHome();
    // a fixed worker count: on a test machine busy with other suites, an adaptive node would
    // rightly report CPU pressure (degraded), which test/chaos/cpu-starvation.test.ts covers
    const started = keelCli(home, ["start", "--format", "json"], { KEEL_WORKERS_CONCURRENCY: "4" });
    expect(started.code, started.stderr).toBe(0);
    const pid = JSON.parse(started.stdout).pid as number;
    try {
      const status = keelCli(home, ["status", "--verbose", "--format", "json"]);
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout);
      expect(report.node).toMatchObject({ running: true, pid });
      expect(report.node.node_id).toEqual(expect.any(String));
      expect(report.node.uptime_ms).toBeGreaterThanOrEqual(0);
      expect(report.nodes).toContainEqual(
        expect.objectContaining({ id: report.node.node_id, pid, state: "active" }),
      );
      expect(report.nodes[0].capabilities).toEqual(expect.any(Array));
      expect(report.runs).toMatchObject({ pending: 0, running: 0, succeeded: 0 });
      expect(report.pipelines).toContainEqual(
        expect.objectContaining({ name: "document-analysis", steps: 11 }),
      );
      expect(report.store).toMatchObject({ file: join(home, "keel.db"), state: "ok" });
      expect(report.store.bytes).toBeGreaterThan(0);
      expect(report.oldest_pending).toBeNull();
      // the node answers through its API: its live workers
      expect(report.workers).toMatchObject({
        node_id: report.node.node_id,
        pid,
        busy: 0,
        claimed_ahead: 0,
      });
      expect(report.workers.idle).toBe(report.workers.limit);
      expect(report.workers.uptime_ms).toBeGreaterThanOrEqual(0);
      expect(report.sources).toEqual([]);

      const table = keelCli(home, ["status"]);
      expect(table.stdout).toMatch(new RegExp(`node running: pid ${pid}`));
      expect(table.stdout).toMatch(/workers: 0 busy, (\d+) idle of \1 \(up \d+\.\d s\)/);
      expect(table.stdout).toMatch(/document-analysis/);

      for (const component of ["store", "node", "queue"]) {
        const one = keelCli(home, ["health", "check", component, "--format", "json"]);
        expect(one.code, one.stdout).toBe(0);
        expect(JSON.parse(one.stdout)).toMatchObject({
          status: "healthy",
          components: [{ component, status: "healthy" }],
        });
      }
      const verbose = keelCli(home, ["health", "--verbose", "--format", "json"]);
      const overall = JSON.parse(verbose.stdout);
      // the disk of the machine running the tests decides between 0 and 1 or 2
      const disk = overall.components.find((c: { component: string }) => c.component === "disk");
      expect(verbose.code).toBe(
        { healthy: 0, degraded: 1, unhealthy: 2 }[overall.status as string],
      );
      expect(overall.status).toBe(disk.status);
      expect(disk.details.free_bytes).toEqual(expect.any(Number));
    } finally {
      const stopped = keelCli(home, ["stop"]);
      expect(stopped.code, stopped.stderr).toBe(0);
    }
  }, 90_000);
});

describe("keel config", () => {
  it("validates a good file and names file:line, key and the nearest key of a bad one", () => {
    const home = tempHome();
    writeFileSync(join(home, "keel.yaml"), "workers:\n  concurrency: 4\n");
    const good = keelCli(home, ["config", "validate"]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/keel\.yaml: valid/);
    expect(JSON.parse(keelCli(home, ["config", "validate", "--format", "json"]).stdout)).toEqual({
      file: join(home, "keel.yaml"),
      valid: true,
    });

    writeFileSync(
      join(home, "bad.yaml"),
      "store:\n  durability: full\nworkers:\n  concurency: 4\n",
    );
    const bad = keelCli(home, ["config", "validate", "bad.yaml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${join(home, "bad.yaml")}:4: workers.concurency`);
    expect(bad.stderr).toMatch(/did you mean "concurrency"/);

    const missing = keelCli(home, ["config", "validate", "nope.yaml"]);
    expect(missing.code).toBe(2);
  });

  it("shows the effective config: KEEL_* over the file over defaults", () => {
    const home = tempHome();
    writeFileSync(join(home, "keel.yaml"), "workers:\n  concurrency: 4\nnode:\n  poll_ms: 500\n");
    const shown = keelCli(home, ["config", "show", "--format", "json"], {
      KEEL_WORKERS_CONCURRENCY: "3",
    });
    expect(shown.code, shown.stderr).toBe(0);
    const config = JSON.parse(shown.stdout);
    expect(config.file).toBe(join(home, "keel.yaml"));
    expect(config.config.workers.concurrency).toBe(3);
    expect(config.config.retry.max_attempts).toBe(3);
    expect(config.config.node.poll_ms).toBe(500);
    expect(config.origins).toMatchObject({
      workers: "env",
      node: "file",
      log: "env", // KEEL_LOG_LEVEL, set by keelCli
      retry: "default",
      store: "default",
    });
    const table = keelCli(home, ["config", "show"], { KEEL_WORKERS_CONCURRENCY: "3" });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/workers:\n {2}concurrency: 3\n/);
  });
});
