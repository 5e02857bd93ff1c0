// The worker the crash case kills: node children/hold-worker.mjs <module> <config-json> <concurrency>
// Prints "ready" once working, then "started <key> <holder>" as each job starts; jobs never end.
import { loadAdapter } from "../systems/index.mjs";

const [module, configJson, concurrency] = process.argv.slice(2);
const adapter = await loadAdapter(module);
const ctx = await adapter.attach(JSON.parse(configJson));
await adapter.workHold(ctx, Number(concurrency), async (data, helpers) => {
  const holder = adapter.holderOf ? adapter.holderOf(data, helpers) : "-";
  process.stdout.write(`started ${data.key} ${holder}\n`);
  await new Promise((resolve) => setTimeout(resolve, 600_000));
});
process.stdout.write("ready\n");
