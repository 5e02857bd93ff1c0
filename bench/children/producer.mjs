// Enqueues at a steady rate from another process (case 3's cross-process row):
// node children/producer.mjs <module> <config-json> <rate-per-s> <count>
// Each job carries t = its enqueue time (epoch ms, sub-ms, same clock as the harness).
import { now, sleep } from "../lib/common.mjs";
import { loadAdapter } from "../systems/index.mjs";

const [module, configJson, rate, count] = process.argv.slice(2);
const adapter = await loadAdapter(module);
const ctx = await adapter.attach(JSON.parse(configJson));
const interval = 1000 / Number(rate);
const sends = [];
const start = now();
for (let i = 0; i < Number(count); i++) {
  const wait = start + i * interval - now();
  if (wait > 0) await sleep(wait);
  sends.push(adapter.enqueue(ctx, { i, t: now() }));
}
await Promise.all(sends);
await adapter.detach(ctx);
process.stdout.write("done\n");
