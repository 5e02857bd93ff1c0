import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keelJson } from "../integration/keel-cli.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import { startPrometheus, type PrometheusServer } from "./prometheus-server.js";

// deploy/grafana/keel-dashboard.json proven without Grafana: a real Prometheus (Debian's package)
// scrapes a real `keel start` node under a small workload, with a viewer token, and every panel's
// query is run through Prometheus' HTTP API; a parse error or an empty result fails. The workload
// makes every panel's series exist: the node offers a capability and a run waits for another, a
// keel rule fires and is delivered to a real webhook receiver. The rules of deploy/prometheus are
// loaded too, and one of them is made to fire.

const root = fileURLToPath(new URL("../../", import.meta.url));
const dashboardFile = join(root, "deploy/grafana/keel-dashboard.json");
const fixture = fileURLToPath(new URL("./fixtures/dashboard-pipelines.mjs", import.meta.url));

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as Dashboard;
const queries = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
/** Grafana's own variables, as Grafana would fill them in with a 1 s scrape interval */
const expand = (expr: string) => expr.replaceAll("$__rate_interval", "15s");
const afterAlert = (expr: string) => expr.startsWith("ALERTS");
/** what the workload is there for, beyond a series in every panel */
const workloadProofs = [
  { panel: "(a keel rule fires)", expr: 'keel_alerts_firing{rule="quarantine_growth"} == 1' },
  {
    panel: "(its webhook is delivered)",
    expr: 'keel_alert_deliveries_total{receiver="oncall",outcome="delivered"} > 0',
  },
  { panel: "(the node's capability)", expr: 'keel_node_capacity_slots{capability="ssd"} > 0' },
  {
    panel: "(a run waits for gpu)",
    expr: 'keel_runs_waiting_for_capability{capability="gpu"} > 0',
  },
];

/** A webhook receiver on loopback: it records each delivery's body and answers 204. */
async function startReceiver(): Promise<{ server: Server; url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      bodies.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/`, bodies };
}

describe("deploy/grafana/keel-dashboard.json", () => {
  it("is a Grafana dashboard with the datasource as a variable and every section", () => {
    expect(dashboard.uid).toBe("keel-overview");
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    const rows = dashboard.panels.filter((p) => p.type === "row").map((p) => p.title);
    expect(rows).toEqual([
      "Overview",
      "Throughput",
      "Latency",
      "Queue",
      "Quarantine",
      "Breakers",
      "Nodes",
      "Disk and store",
      "Alerts",
    ]);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === "row") continue;
      expect(p.datasource, p.title).toEqual({ type: "prometheus", uid: "${datasource}" });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe("${datasource}");
    }
  });

  describe("against a real Prometheus scraping a real node", () => {
    // one node for both tests (useNodes() would kill it after the first), killed in afterAll
    const nodes: NodeProcess[] = [];
    let dir: string;
    let prometheus: PrometheusServer | undefined;
    let stopWork = false;
    let work: Promise<void> = Promise.resolve();
    let api = "";
    let operator = "";
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${operator}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
      return res.json() as Promise<unknown>;
    };
    const submit = (pipeline: string) => call("POST", "/v1/runs", { pipeline, input: {} });

    beforeAll(async () => {
      expect(existsSync(join(root, "dist/src/index.js")), "run `npm run build` first").toBe(true);
      dir = mkdtempSync(join(tmpdir(), "keel-dashboard-"));
      receiver = await startReceiver();
      writeFileSync(join(dir, "oncall.secret"), "dashboard-drill-secret", { mode: 0o600 });
      // a capability offered, a keel rule that fires at the first quarantine, checked twice a
      // second, and a receiver for its notification
      const config = writeConfig(
        dir,
        [fixture],
        [
          "node:",
          "  capabilities: [ssd]",
          "alerts:",
          "  interval_ms: 500",
          "  rules:",
          "    quarantine_growth: { threshold: 0 }",
          "  receivers:",
          `    oncall: { url: ${JSON.stringify(receiver.url)}, secret_file: oncall.secret }`,
          "",
        ].join("\n"),
      );
      const viewer = keelJson(dir, ["tokens", "create", "--role", "viewer", "--name", "prom"]);
      operator = keelJson(dir, ["tokens", "create", "--role", "operator", "--name", "load"]).token;
      const tokenFile = join(dir, "prometheus.token");
      writeFileSync(tokenFile, viewer.token);
      chmodSync(tokenFile, 0o600);
      const node = startNode(dir, config);
      nodes.push(node);
      await node.ready;
      api = /API (http:\/\/[^;\s]+)/.exec(node.output())![1]!;
      await call("POST", "/v1/breakers/enricher/trip", { reason: "dashboard drill" });
      await call("POST", "/v1/breakers/enricher/reset", {});
      await submit("hold");
      await submit("render");
      // a few runs a second of each kind, and health checks, until the queries are done
      work = (async () => {
        for (let i = 0; !stopWork; i++) {
          await submit("ingest");
          if (i % 5 === 0) await Promise.all([submit("parse"), submit("enrich")]);
          await fetch(`${api}/health`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      prometheus = await startPrometheus({
        dir,
        target: new URL(api).host,
        tokenFile,
        ruleFiles: [join(root, "deploy/prometheus/keel-rules.yml")],
      });
    }, 60_000);

    afterAll(async () => {
      stopWork = true;
      await work.catch(() => undefined);
      await prometheus?.stop();
      for (const n of nodes) n.child.kill("SIGKILL");
      receiver?.server.closeAllConnections();
      await new Promise((resolve) => receiver?.server.close(resolve) ?? resolve(undefined));
      rmSync(dir, { recursive: true, force: true });
    });

    it("answers every panel's query with data", async () => {
      const p = prometheus!;
      const results = async () =>
        Promise.all(
          [...queries.filter((q) => !afterAlert(q.expr)), ...workloadProofs].map(async (q) => ({
            ...q,
            ...(await p.query(expand(q.expr))),
          })),
        );
      // wait for data: the scrape of a second and the 15 s rate windows fill within ~20 s
      const deadline = Date.now() + 90_000;
      let answers = await results();
      const missing = () => answers.filter((a) => !a.ok || a.result.length === 0);
      while (missing().length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        answers = await results();
      }
      for (const a of answers) expect(a.error, `${a.panel}: ${a.expr}`).toBeUndefined();
      expect(
        missing().map((a) => `${a.panel}: ${a.expr}`),
        `empty after 90 s; prometheus said:\n${p.output().slice(-2000)}`,
      ).toEqual([]);
      expect((await p.query('up{job="keel"}')).result).toHaveLength(1);
      expect(receiver!.bodies).toContainEqual(
        expect.objectContaining({ rule: "quarantine_growth", state: "firing" }),
      );
      // the step duration's buckets carry the runs' trace ids to Prometheus, as exemplars
      const traced = await p.exemplars('keel_step_duration_seconds_bucket{pipeline="ingest"}', 300);
      expect(traced.length).toBeGreaterThan(0);
      expect(traced[0]!.trace_id).toMatch(/^\S+$/);
    }, 120_000);

    it("fires a keel rule in Prometheus, shown by the alerts panel", async () => {
      const p = prometheus!;
      await call("POST", "/v1/emergency/on", { reason: "dashboard drill" });
      const alerts = queries.filter((q) => afterAlert(q.expr));
      expect(alerts.length).toBeGreaterThan(0);
      // the store's gauges are reused up to 30 s after a slow read (a loaded machine's)
      const deadline = Date.now() + 45_000;
      for (;;) {
        const answers = await Promise.all(alerts.map((q) => p.query(expand(q.expr))));
        if (answers.every((a) => a.ok && a.result.length > 0)) break;
        expect(Date.now(), JSON.stringify(answers)).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const firing = await p.query('ALERTS{alertname="KeelEmergencyStop",alertstate="firing"}');
      expect(firing.result).toHaveLength(1);
    }, 75_000);
  });
});
