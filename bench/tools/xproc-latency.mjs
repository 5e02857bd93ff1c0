// keel's enqueue-to-start from another process, job by job: a node here, a producer child
// submitting at a steady rate, and for the slowest jobs how long their own submit took (a submit
// that waited on the store's lock) against when the node started them (the node heard late).
//   npm run build && node bench/tools/xproc-latency.mjs [rate=200] [count=1000] [worst=10]
// Case 3 of run.mjs reports only the percentiles; this is what found the WAL stalls (README).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as keel from "../systems/keel.mjs";
import { now, sleep } from "../lib/common.mjs";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--producer") {
  const [, , , configJson, rate, count] = process.argv;
  const ctx = await keel.attach(JSON.parse(configJson));
  const sends = [];
  const start = now();
  for (let i = 0; i < Number(count); i++) {
    const wait = start + (i * 1000) / Number(rate) - now();
    if (wait > 0) await sleep(wait);
    const t = now();
    sends.push(keel.enqueue(ctx, { i, t }).then(() => ({ i, submitMs: now() - t, end: now() })));
  }
  const submits = await Promise.all(sends);
  await keel.detach(ctx);
  process.stdout.write(JSON.stringify(submits));
} else {
  const [rate = 200, count = 1000, worst = 10] = process.argv.slice(2).map(Number);
  const ctx = await keel.setup({ concurrency: 10 });
  const started = [];
  await keel.work(ctx, 10, (data) => started.push({ i: data.i, t: data.t, at: now() }));
  await sleep(1000); // an idle node
  const out = await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [self, "--producer", JSON.stringify(ctx.config), rate, count],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(text) : reject(new Error(`producer: ${code}`)),
    );
  });
  const submits = new Map(JSON.parse(out).map((s) => [s.i, s]));
  while (started.length < count) await sleep(5);
  await keel.teardown(ctx);
  const ms = started.map((s) => s.at - s.t).sort((a, b) => a - b);
  const at = (q) => +ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2);
  console.log(
    JSON.stringify({ rate, count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) }),
  );
  const t0 = Math.min(...started.map((s) => s.t));
  for (const s of [...started].sort((a, b) => b.at - b.t - (a.at - a.t)).slice(0, worst)) {
    const sub = submits.get(s.i);
    console.log(
      `job ${s.i} at ${(s.t - t0).toFixed(0)} ms: started after ${(s.at - s.t).toFixed(2)} ms;` +
        ` its submit took ${sub.submitMs.toFixed(2)} ms, the node started it` +
        ` ${(s.at - sub.end).toFixed(2)} ms after the submit returned`,
    );
  }
}
