// Case 2: drain a pre-filled queue of no-op jobs at concurrency 1, 10 and 50, measured from the
// worker's start (its startup included) to the last recorded completion, capped at 60 s (10 s for
// pg-boss, whose rate is fixed by its polling; 20 s / 5 s with --quick). In a full run each
// measurement that finishes is repeated 5 times on a fresh queue and the median is reported. The
// tries go round the systems (each system's first try, then each one's second, ...): this
// machine's speed can move by 2x within minutes, and taken in turn every system meets the same
// spells of it, where three tries in a row could all fall in one.
import { now, round, sleep } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { describe, entriesFor, prefill, waitDrained, withQueue } from "./shared.mjs";

export const number = 2;
export const title = "processing";

export async function run({ entries, quick, concurrencies = [1, 10, 50] }) {
  const n = quick ? 1000 : 5000;
  const repeats = quick ? 1 : 5;
  const systems = [];
  for (const entry of entriesFor(entries, number)) {
    const { adapter, base } = await describe(entry);
    // a poll-bound system (pg-boss) drains at a fixed rate: a short cap measures it
    const capMs = adapter.pollBound ? (quick ? 5_000 : 10_000) : quick ? 20_000 : 60_000;
    systems.push({ entry, adapter, base, capMs });
  }
  for (const concurrency of concurrencies) {
    const fields = { case: "2-processing", n, concurrency };
    const runs = systems.map((system) => ({ ...system, tries: [], done: false }));
    for (let i = 0; i < repeats; i++)
      for (const s of runs) {
        if (s.done) continue;
        const r = await withQueue(
          s.adapter,
          s.base,
          fields,
          { variant: s.entry.variant, concurrency },
          (ctx) => drainOnce(s.adapter, ctx, n, concurrency, s.capMs),
        );
        // an error line was recorded, or a rate over a time cap: no more tries
        if (!r || r.capped) s.done = true;
        if (r) s.tries.push(r);
      }
    for (const { base, tries, capMs } of runs) {
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
