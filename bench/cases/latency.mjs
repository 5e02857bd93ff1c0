// Case 3: enqueue-to-start latency at a steady rate into idle workers. Each job carries its
// enqueue time t (epoch ms, performance.timeOrigin + performance.now()); the handler's first line
// takes the difference. Producer in the worker's process, then (second row) in another process.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { benchDir, now, percentiles, round, sleep, waitUntil } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { describe, entriesFor, withQueue } from "./shared.mjs";

export const number = 3;
export const title = "latency";

const CONCURRENCY = 10;

/**
 * pg-boss fetches at most batchSize jobs per polling interval, so at concurrency 10 it serves at
 * most 10 jobs per 2 s and a 200/s stream only piles up. To measure its enqueue-to-start path
 * rather than that backlog, its batch is sized to twice what arrives per interval.
 */
function concurrencyFor(entry, rate) {
  if (entry.module !== "pg-boss") return CONCURRENCY;
  const interval = entry.variant.pollingIntervalSeconds ?? 2;
  return Math.max(CONCURRENCY, Math.ceil(2 * rate * interval));
}

export async function run({ entries, quick }) {
  const rate = quick ? 100 : 200;
  const seconds = quick ? 2 : 5;
  const total = rate * seconds;
  for (const entry of entriesFor(entries, number)) {
    const { adapter, base } = await describe(entry);
    const concurrency = concurrencyFor(entry, rate);
    const batchNote =
      concurrency !== CONCURRENCY
        ? `; work() batchSize ${concurrency} so the worker keeps up (see README)`
        : "";
    for (const producer of ["same process", "other process"]) {
      const fields = {
        case: producer === "same process" ? "3-latency" : "3-latency-xproc",
        n: total,
        concurrency,
        rate_per_s: rate,
      };
      await withQueue(
        adapter,
        base,
        fields,
        { variant: entry.variant, concurrency },
        async (ctx) => {
          const lat = [];
          await adapter.work(ctx, concurrency, (data) => {
            lat.push(now() - data.t);
          });
          await sleep(1000); // idle workers: connected, blocked or polling
          if (producer === "same process") await produceHere(adapter, ctx, rate, total);
          else await produceElsewhere(entry, ctx, rate, total);
          const ok = await waitUntil(() => lat.length >= total, 30_000, 5);
          record({
            ...base,
            ...fields,
            jobs_per_s: null,
            ...percentiles(lat),
            max_ms: round(Math.max(...lat)),
            started: lat.length,
            notes: `${rate}/s for ${seconds} s, enqueued from ${producer === "same process" ? "the worker's process" : "a separate process"}${batchNote}${ok ? "" : `; only ${lat.length} of ${total} started within 30 s`}`,
          });
        },
      );
    }
  }
}

async function produceHere(adapter, ctx, rate, total) {
  const interval = 1000 / rate;
  const sends = [];
  const start = now();
  for (let i = 0; i < total; i++) {
    const wait = start + i * interval - now();
    if (wait > 0) await sleep(wait);
    sends.push(adapter.enqueue(ctx, { i, t: now() }));
  }
  await Promise.all(sends);
}

function produceElsewhere(entry, ctx, rate, total) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(benchDir, "children", "producer.mjs"),
        entry.module,
        JSON.stringify(ctx.config),
        String(rate),
        String(total),
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 && out.includes("done")
        ? resolve()
        : reject(new Error(`producer exited with ${code}`)),
    );
  });
}
