#!/usr/bin/env node
// What `/metrics` scraped every second costs a node's no-op throughput: the same drain (N no-op
// single-step runs at concurrency C, with the node's API listening) with and without a scraper, in
// alternating fresh processes, and the ratio of the medians. The scraper is a process of its own,
// as Prometheus is, and asks for OpenMetrics, as Prometheus does. Both the throughput (wall time)
// and the node's CPU time per run are compared: on a machine busy with other work, the CPU time
// is the steadier figure. The cost is the median over rounds of each round's scraped / plain
// ratio: neighbouring drains share the machine's load, rounds minutes apart may not.
//   npm run build && node bench/tools/scrape-cost.mjs
//   N=20000 C=10 ROUNDS=6 INTERVAL_MS=1000 node bench/tools/scrape-cost.mjs
// Given built dist/ folders, it alternates those builds too, in the same rounds, so a change is
// measured before and after in one sitting:
//   cp -r dist bench/.work/dist-before     # before the change; then change, npm run build
//   node bench/tools/scrape-cost.mjs bench/.work/dist-before dist
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { builtDists, median, rootDir, workDir } from "../lib/common.mjs";

const N = Number(process.env.N ?? 20000);
const C = Number(process.env.C ?? 10);
const intervalMs = Number(process.env.INTERVAL_MS ?? 1000);
/** with WINDOW_MS, each drain alternates unscraped and scraped windows of that length */
const windowMs = Number(process.env.WINDOW_MS ?? 0);

/**
 * Each scraped window against the mean of the unscraped ones either side (which cancels a drift
 * along the drain), the first two windows left out (the node starting): medians over the drain.
 */
function windowRatios(spans) {
  const throughput = [];
  const cpu = [];
  for (let i = 3; i + 1 < spans.length; i += 2) {
    const [before, scraped, after] = [spans[i - 1], spans[i], spans[i + 1]];
    throughput.push(scraped.runs_per_s / ((before.runs_per_s + after.runs_per_s) / 2));
    cpu.push(scraped.cpu_us_per_run / ((before.cpu_us_per_run + after.cpu_us_per_run) / 2));
  }
  if (throughput.length === 0)
    throw new Error("the drain was too short for a window pair: raise N");
  return {
    windows: throughput.length,
    throughput_ratio: median(throughput),
    cpu_ratio: median(cpu),
  };
}

const scraper = `
  const url = process.argv[1], every = Number(process.argv[2]);
  let scrapes = 0, bytes = 0;
  const once = async () => {
    const res = await fetch(url, { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
    bytes += (await res.text()).length;
    scrapes++;
  };
  let timer = setInterval(() => void once().catch(() => undefined), every);
  // windows: the node turns the scraping off and on
  process.on("message", (on) => {
    clearInterval(timer);
    if (!on) return;
    void once().catch(() => undefined);
    timer = setInterval(() => void once().catch(() => undefined), every);
  });
  process.on("SIGTERM", () => {
    clearInterval(timer);
    process.stdout.write(JSON.stringify({ scrapes, bytes }));
    process.exit(0);
  });
  // the drain starts once this process is up and has scraped once: its own start is not timed
  void once().then(() => process.stderr.write("ready\\n"));
`;

if (process.argv[2] === "--child") {
  const windows = process.argv[3] === "windows";
  const scraped = process.argv[3] === "scraped" || windows;
  const dist = join(process.argv[4], "src");
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
      { stdio: ["ignore", "pipe", "inherit", "ipc"] },
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
  // windows: the scraper off and on in turn, each window's runs and CPU counted
  const spans = [];
  let span = { at: t0, cpu: cpu0, done: 0, scraped: false };
  if (windows) scrapeProcess.send(false);
  const turn = () => {
    const at = performance.now();
    const cpu = process.cpuUsage(span.cpu);
    spans.push({
      scraped: span.scraped,
      runs_per_s: ((done - span.done) / (at - span.at)) * 1000,
      cpu_us_per_run: (cpu.user + cpu.system) / Math.max(1, done - span.done),
    });
    span = { at, cpu: process.cpuUsage(), done, scraped: !span.scraped };
    scrapeProcess.send(span.scraped);
  };
  const windowTimer = windows ? setInterval(turn, windowMs) : undefined;
  await k.start();
  await finished;
  clearInterval(windowTimer);
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
      ...(windows ? windowRatios(spans) : {}),
    })}\n`,
  );
  process.exit(0);
}

const dists = builtDists(process.argv.slice(2));
const rounds = Number(process.env.ROUNDS ?? 6);
const percent = (x) => +(x * 100).toFixed(2);
const drain = (mode, dist, round) => {
  const r = spawnSync(process.execPath, [process.argv[1], "--child", mode, dist], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const line = JSON.parse(r.stdout.trim());
  process.stdout.write(
    `${JSON.stringify({ build: relative(rootDir, dist), mode, round, ...line })}\n`,
  );
  return line;
};
const settings = { n: N, concurrency: C, interval_ms: intervalMs, rounds };

if (windowMs > 0) {
  // one drain per build and round, scraped and unscraped in turn within it
  const seen = new Map(dists.map((d) => [d, []]));
  for (let round = 0; round < rounds; round++)
    for (const dist of round % 2 === 0 ? dists : [...dists].reverse())
      seen.get(dist).push(drain("windows", dist, round));
  for (const [dist, lines] of seen) {
    const throughput = lines.map((l) => l.throughput_ratio);
    const cpu = lines.map((l) => l.cpu_ratio);
    process.stdout.write(
      `${JSON.stringify({
        build: relative(rootDir, dist),
        ...settings,
        window_ms: windowMs,
        windows: lines.reduce((n, l) => n + l.windows, 0),
        // 1 - scraped / unscraped throughput: each drain's median, then their median and spread
        cost_percent: percent(1 - median(throughput)),
        cost_spread_percent: [
          percent(1 - Math.max(...throughput)),
          percent(1 - Math.min(...throughput)),
        ],
        cpu_cost_percent: percent(median(cpu) - 1),
        cpu_cost_spread_percent: [percent(Math.min(...cpu) - 1), percent(Math.max(...cpu) - 1)],
      })}\n`,
    );
  }
  process.exit(0);
}

const seen = new Map(dists.map((d) => [d, { plain: [], scraped: [] }]));
for (let round = 0; round < rounds; round++) {
  // alternate which build and which mode go first, so neither always drains on the warmer machine
  const builds = round % 2 === 0 ? dists : [...dists].reverse();
  const modes = round % 2 === 0 ? ["plain", "scraped"] : ["scraped", "plain"];
  for (const dist of builds)
    for (const mode of modes) seen.get(dist)[mode].push(drain(mode, dist, round));
}
const firstPlain = seen.get(dists[0]).plain;
for (const [dist, { plain, scraped }] of seen) {
  const throughput = plain.map((p, i) => scraped[i].runs_per_s / p.runs_per_s);
  const cpu = plain.map((p, i) => scraped[i].cpu_us_per_run / p.cpu_us_per_run);
  process.stdout.write(
    `${JSON.stringify({
      build: relative(rootDir, dist),
      ...settings,
      plain_runs_per_s: median(plain.map((l) => l.runs_per_s)),
      scraped_runs_per_s: median(scraped.map((l) => l.runs_per_s)),
      // the cost: 1 - each round's scraped / plain, median and spread over the rounds
      cost_percent: percent(1 - median(throughput)),
      cost_spread_percent: [
        percent(1 - Math.max(...throughput)),
        percent(1 - Math.min(...throughput)),
      ],
      // CPU per run is what throughput costs on a machine with a core to spare; wall time on a
      // shared machine moves with its other load
      plain_cpu_us_per_run: median(plain.map((l) => l.cpu_us_per_run)),
      scraped_cpu_us_per_run: median(scraped.map((l) => l.cpu_us_per_run)),
      cpu_cost_percent: percent(median(cpu) - 1),
      cpu_cost_spread_percent: [percent(Math.min(...cpu) - 1), percent(Math.max(...cpu) - 1)],
      // each plain drain against the first build's in the same round: the change's gain unscraped
      plain_ratio_to_first: +median(
        plain.map((l, i) => l.runs_per_s / firstPlain[i].runs_per_s),
      ).toFixed(3),
    })}\n`,
  );
}
