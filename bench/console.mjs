#!/usr/bin/env node
// The console's cost: the size of what a browser downloads, and how long the runs page takes to
// show its first rows with a million runs in the store, in Debian's chromium.
//
//   node bench/operator.mjs --runs 1000000 --fill-only     # once: prints the store's folder
//   node bench/console.mjs --reuse bench/.work/operator-XXXX [--rounds 20]
//
// A node is started on the filled home (`keel start`, emergency stop on so it leaves the pending
// runs alone), then each view is loaded `rounds` times in a fresh page: the time is from the
// navigation's start to the first row of the runs table in the DOM. Results go to
// bench/results/<date>.jsonl like the other benches.
import { spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { benchDir, rootDir, spread } from "./lib/common.mjs";

const args = { reuse: null, rounds: 20 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--reuse") args.reuse = process.argv[++i];
  else if (a === "--rounds") args.rounds = Number(process.argv[++i]);
  else {
    process.stderr.write(`unknown option ${a}\n`);
    process.exit(64);
  }
}
const log = (text) => process.stdout.write(`${text}\n`);
const keelBin = join(rootDir, "bin", "keel.js");
const assets = join(rootDir, "dist", "console", "assets");
if (!existsSync(assets)) {
  log("dist/console is missing: run `npm run build` first");
  process.exit(1);
}
const results = [];
function record(name, figures) {
  const line = {
    bench: "console",
    case: name,
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    ...figures,
  };
  results.push(line);
  log(JSON.stringify(line));
}

// 1. what a browser downloads, once (the files are cached for a year after: hashed names)
const files = readdirSync(assets).map((f) => join(assets, f));
const size = (ext) =>
  files.filter((f) => f.endsWith(ext)).reduce((n, f) => n + statSync(f).size, 0);
const gz = (ext) =>
  files.filter((f) => f.endsWith(ext)).reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
record("bundle", {
  js_bytes: size(".js"),
  js_gzip_bytes: gz(".js"),
  css_bytes: size(".css"),
  css_gzip_bytes: gz(".css"),
});
if (!args.reuse) {
  log(
    "no --reuse: only the bundle was measured (fill a store with bench/operator.mjs --fill-only)",
  );
  process.exit(0);
}

// 2. a node on the filled store, its work stopped
const home = args.reuse;
const cli = (...argv) =>
  spawnSync(process.execPath, [keelBin, "--home", home, ...argv], {
    encoding: "utf8",
    env: { ...process.env, KEEL_LOG_LEVEL: "warn" },
  });
cli("emergency", "on", "--reason", "console bench: leave the runs alone");
const node = spawn(process.execPath, [keelBin, "start", "--foreground", "--home", home], {
  env: { ...process.env, KEEL_SERVER_PORT: "0", KEEL_LOG_LEVEL: "warn" },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise((resolve) =>
  node.stdout.on("data", (c) => String(c).includes(" running [") && resolve()),
);
const url = JSON.parse(readFileSync(join(home, "api.json"), "utf8")).url;
const token = readFileSync(join(home, "admin.token"), "utf8").trim();
log(`runs by status: ${JSON.stringify(JSON.parse(cli("status", "--format", "json").stdout).runs)}`);

const browser = await chromium.launch({
  executablePath: process.env.KEEL_CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const context = await browser.newContext();
// the session as the login page leaves it
await context.addInitScript(
  (t) =>
    sessionStorage.setItem(
      "keel.console.session",
      JSON.stringify({ token: t, role: "admin", actor: "token:admin/console" }),
    ),
  token,
);

async function firstRows(hash) {
  const page = await context.newPage();
  await page.goto(`${url}/${hash}`);
  await page.locator("table.runs tbody tr").first().waitFor({ timeout: 30_000 });
  const ms = await page.evaluate(() => performance.now());
  await page.close();
  return ms;
}

const views = {
  "runs page, newest 50": "#/runs",
  "runs page, status succeeded": "#/runs?status=succeeded",
  "runs page, quarantined of one pipeline": "#/runs?status=quarantined&pipeline=billing-sync",
  "runs page, created in the last 24 h": "#/runs?since=24h",
};
try {
  for (const [name, hash] of Object.entries(views)) {
    await firstRows(hash); // warm: the browser's cache and the node's page cache
    const times = [];
    for (let i = 0; i < args.rounds; i++) times.push(await firstRows(hash));
    const p = spread(times);
    record(name, {
      rounds: args.rounds,
      first_rows_p50_ms: p.p50,
      first_rows_p95_ms: p.p95,
      first_rows_max_ms: p.max,
    });
  }
} finally {
  await browser.close();
  node.kill("SIGTERM");
  await new Promise((resolve) => node.once("exit", resolve));
  cli("emergency", "off", "--reason", "console bench done");
}
const out = join(benchDir, "results");
mkdirSync(out, { recursive: true });
appendFileSync(
  join(out, `${new Date().toISOString().slice(0, 10)}.jsonl`),
  results.map((r) => JSON.stringify(r)).join("\n") + "\n",
);
