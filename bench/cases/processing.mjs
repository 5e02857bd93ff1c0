// Case 2: drain a pre-filled queue of no-op jobs at concurrency 1, 10 and 50, measured from the
// worker's start (its startup included) to the last recorded completion, capped at 60 s (10 s for
// pg-boss, whose rate is fixed by its polling; 20 s / 5 s with --quick). In a full run each
// measurement that finishes is repeated 3 times on a fresh queue and the median is reported.
import { now, round, sleep } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { describe, entriesFor, prefill, waitDrained, withQueue } from "./shared.mjs";

export const number = 2;
export const title = "processing";

export async function run({ entries, quick }) {
  const n = quick ? 1000 : 5000;
  const repeats = quick ? 1 : 3;
  for (const entry of entriesFor(entries, number)) {
    const { adapter, base } = await describe(entry);
    // a poll-bound system (pg-boss) drains at a fixed rate: a short cap measures it
    const capMs = adapter.pollBound ? (quick ? 5_000 : 10_000) : quick ? 20_000 : 60_000;
    for (const concurrency of [1, 10, 50]) {
      const fields = { case: "2-processing", n, concurrency };
      const tries = [];
      for (let i = 0; i < repeats; i++) {
        const r = await withQueue(
          adapter,
          base,
          fields,
          { variant: entry.variant, concurrency },
          (ctx) => drainOnce(adapter, ctx, n, concurrency, capMs),
        );
        if (!r) break; // an error line was recorded
        tries.push(r);
        if (r.capped) break; // a rate over a time cap does not need repeating
      }
      if (tries.length === 0) continue;
      const last = tries[tries.length - 1];
      if (last.capped) {
        record({
          ...base,
          ...fields,
          jobs_per_s: last.done / (capMs / 1000),
          wall_ms: capMs,
          completed: last.done,
          notes: `did not finish: stopped at the ${capMs / 1000} s cap with ${last.done} of ${n} completed; jobs/s = completed / cap`,
        });
        continue;
      }
      const rates = tries.map((t) => n / (t.wall / 1000)).sort((a, b) => a - b);
      const median = rates[Math.floor(rates.length / 2)];
      record({
        ...base,
        ...fields,
        jobs_per_s: median,
        wall_ms: round((n / median) * 1000),
        tries_jobs_per_s: rates.map((r) => round(r, 1)),
        notes: `pre-filled queue; from worker start (startup included) to the last completion recorded in the store${tries.length > 1 ? `; median of ${tries.length} runs` : ""}`,
      });
    }
  }
}

async function drainOnce(adapter, ctx, n, concurrency, capMs) {
  await prefill(adapter, ctx, n);
  let handled = 0;
  const t0 = now();
  await adapter.work(ctx, concurrency, () => {
    handled += 1;
  });
  const deadline = t0 + capMs;
  while (handled < n && now() < deadline) await sleep(5);
  if (handled >= n) {
    const end = await waitDrained(adapter, ctx, Math.max(1000, deadline - now()));
    if (end !== null) return { capped: false, wall: end - t0 };
  }
  return { capped: true, done: n - (await adapter.pending(ctx)) };
}
