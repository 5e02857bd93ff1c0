#!/usr/bin/env node
// What `/metrics` scraped every second costs a node's no-op throughput: the same drain (N no-op
// single-step runs at concurrency C, with the node's API listening) with and without a scraper, in
// alternating fresh processes, and the ratio of the medians. The scraper is a process of its own,
// as Prometheus is, and asks for OpenMetrics, as Prometheus does. Both the throughput (wall time)
// and the node's CPU time per run are compared: on a machine busy with other work, the CPU time
// is the steadier figure.
//   npm run build && node bench/tools/scrape-cost.mjs
//   N=20000 C=10 ROUNDS=6 INTERVAL_MS=1000 node bench/tools/scrape-cost.mjs
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { rootDir, workDir } from "../lib/common.mjs";

const N = Number(process.env.N ?? 20000);
const C = Number(process.env.C ?? 10);
const intervalMs = Number(process.env.INTERVAL_MS ?? 1000);
const dist = join(rootDir, "dist", "src");

const scraper = `
  const url = process.argv[1], every = Number(process.argv[2]);
  let scrapes = 0, bytes = 0;
  const once = async () => {
    const res = await fetch(url, { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
    bytes += (await res.text()).length;
    scrapes++;
  };
  const timer = setInterval(() => void once().catch(() => undefined), every);
  process.on("SIGTERM", () => {
    clearInterval(timer);
    process.stdout.write(JSON.stringify({ scrapes, bytes }));
    process.exit(0);
  });
  // the drain starts once this process is up and has scraped once: its own start is not timed
  void once().then(() => process.stderr.write("ready\\n"));
`;

if (process.argv[2] === "--child") {
  const scraped = process.argv[3] === "scraped";
  const { keel, pipeline, step } = await import(pathToFileURL(join(dist, "index.js")).href);
  const { listenApi } = await import(pathToFileURL(join(dist, "api", "listen.js")).href);
  mkdirSync(workDir, { recursive: true });
  const home = mkdtempSync(join(workDir, "scrape-cost-"));
  const noop = pipeline("noop", [step("noop", async () => null)]);
  const k = keel({ home, pipelines: [noop], concurrency: C });
  for (let i = 0; i < N; i += 1000)
    await k.submitMany(
      noop,
      Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ i: i + j })),
    );
  const api = await listenApi({
    keel: k,
    home,
    host: "127.0.0.1",
    port: 0,
    auth: true,
    metricsAuth: false,
    node: () => k.snapshot(),
  });
  let scrapeProcess;
  let scrapeReport = "";
  if (scraped) {
    scrapeProcess = spawn(
      process.execPath,
      ["-e", scraper, `${api.url}/metrics`, String(intervalMs)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    scrapeProcess.stdout.on("data", (c) => (scrapeReport += c));
    // its first scrape before the drain: the collectors are warm, as on a node scraped for a while
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  let done = 0;
  let end;
  const finished = new Promise((r) => (end = r));
  k.on("settled", () => {
    if (++done === N) end();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await k.start();
  await finished;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  let scrapes = {};
  if (scrapeProcess) {
    const exited = new Promise((resolve) => scrapeProcess.once("exit", resolve));
    scrapeProcess.kill("SIGTERM");
    await exited;
    scrapes = JSON.parse(scrapeReport || "{}");
  }
  await api.close();
  await k.stop();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({
      runs_per_s: Math.round((N / wall) * 1000),
      cpu_us_per_run: +((cpu.user + cpu.system) / N).toFixed(1),
      wall_ms: Math.round(wall),
      ...scrapes,
    })}\n`,
  );
  process.exit(0);
}

const rounds = Number(process.env.ROUNDS ?? 6);
const seen = { plain: [], scraped: [] };
const cpu = { plain: [], scraped: [] };
for (let round = 0; round < rounds; round++) {
  // alternate which mode goes first, so neither always drains on the warmer machine
  const order = round % 2 === 0 ? ["plain", "scraped"] : ["scraped", "plain"];
  for (const mode of order) {
    const r = spawnSync(process.execPath, [process.argv[1], "--child", mode], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (r.status !== 0) process.exit(r.status ?? 1);
    const line = JSON.parse(r.stdout.trim());
    seen[mode].push(line.runs_per_s);
    cpu[mode].push(line.cpu_us_per_run);
    process.stdout.write(`${JSON.stringify({ mode, round, ...line })}\n`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const plain = median(seen.plain);
const scraped = median(seen.scraped);
process.stdout.write(
  `${JSON.stringify({
    n: N,
    concurrency: C,
    interval_ms: intervalMs,
    rounds,
    plain_runs_per_s: plain,
    scraped_runs_per_s: scraped,
    ratio: +(scraped / plain).toFixed(4),
    cost_percent: +((1 - scraped / plain) * 100).toFixed(2),
    // CPU per run is what throughput costs on a machine with a core to spare; wall time on a
    // shared machine moves with its other load
    plain_cpu_us_per_run: median(cpu.plain),
    scraped_cpu_us_per_run: median(cpu.scraped),
    cpu_cost_percent: +((median(cpu.scraped) / median(cpu.plain) - 1) * 100).toFixed(2),
  })}\n`,
);
