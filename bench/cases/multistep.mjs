// Case 4: multi-step runs. keel runs its 11-step no-op DAG; the others run 11 no-op jobs per run
// in the shape each supports (see each adapter's chainShape). Per-step overhead = wall time /
// (runs * 11), from the worker's start to the last run's completion, queue pre-filled with runs.
import { now, percentiles, round, sleep } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { describe, entriesFor, waitDrained, withQueue } from "./shared.mjs";

export const number = 4;
export const title = "multi-step";

const STEPS = 11;
const CONCURRENCY = 10;

export async function run({ entries, quick }) {
  const runs = quick ? 100 : 500;
  for (const entry of entriesFor(entries, number)) {
    const { adapter, base } = await describe(entry);
    const capMs = adapter.pollBound ? (quick ? 8_000 : 30_000) : quick ? 30_000 : 120_000;
    const fields = { case: "4-multistep", n: runs, concurrency: CONCURRENCY, steps_per_run: STEPS };
    await withQueue(
      adapter,
      base,
      fields,
      { variant: entry.variant, concurrency: CONCURRENCY },
      async (ctx) => {
        await adapter.enqueueChains(
          ctx,
          Array.from({ length: runs }, (_, i) => `r${i}`),
        );
        const starts = new Map();
        const durations = [];
        let steps = 0;
        const t0 = now();
        await adapter.workChains(ctx, CONCURRENCY, {
          onStepStart(run, first) {
            steps += 1;
            if (first) starts.set(run, now());
          },
          onRunDone(run) {
            durations.push(now() - starts.get(run));
          },
        });
        const deadline = t0 + capMs;
        while (durations.length < runs && now() < deadline) await sleep(5);
        const shape = adapter.chainShape;
        if (durations.length >= runs) {
          const end = await waitDrained(adapter, ctx, Math.max(1000, deadline - now()));
          if (end !== null) {
            const wall = end - t0;
            record({
              ...base,
              ...fields,
              jobs_per_s: (runs * STEPS) / (wall / 1000),
              ...percentiles(durations),
              per_step_ms: round(wall / (runs * STEPS), 3),
              wall_ms: round(wall),
              notes: `${shape}; jobs_per_s counts steps; percentiles: one run from its first step's start to its last step's completion`,
            });
            return;
          }
        }
        record({
          ...base,
          ...fields,
          jobs_per_s: steps / (capMs / 1000),
          ...percentiles(durations),
          per_step_ms: steps > 0 ? round(capMs / steps, 3) : null,
          wall_ms: capMs,
          completed_runs: durations.length,
          steps_started: steps,
          notes: `${shape}; did not finish: ${durations.length} of ${runs} runs (${steps} steps started) by the ${capMs / 1000} s cap; per-step = cap / steps started`,
        });
      },
    );
  }
}
