// Case 1: enqueue throughput. One by one (each awaited, so each is acknowledged before the next)
// and in bulk (batches of 1000, one call each) where the system has a bulk call. In a full run
// each is measured 3 times on a fresh queue and the median run (by jobs/s) is reported.
import { chunks, medianBy, now, percentiles, round } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { describe, entriesFor, withQueue } from "./shared.mjs";

export const number = 1;
export const title = "enqueue";

export async function run({ entries, quick }) {
  const nOne = quick ? 500 : 2000;
  const nBulk = quick ? 2000 : 10000;
  const batch = 1000;
  const repeats = quick ? 1 : 3;
  for (const entry of entriesFor(entries, number)) {
    const { adapter, base } = await describe(entry);
    const kinds = [
      {
        fields: { case: "1-enqueue-one", n: nOne, concurrency: 1 },
        note: "sequential awaited enqueues; percentiles of one enqueue call",
        once: async (ctx) => {
          const lat = [];
          const t0 = now();
          for (let i = 0; i < nOne; i++) {
            const s = now();
            await adapter.enqueue(ctx, { i });
            lat.push(now() - s);
          }
          return { jobs_per_s: nOne / ((now() - t0) / 1000), lat };
        },
      },
    ];
    if (adapter.enqueueBulk) {
      kinds.push({
        fields: { case: "1-enqueue-bulk", n: nBulk, concurrency: 1, batch },
        note: `${bulkCall(adapter.name)} in batches of ${batch}; percentiles of one batch call`,
        once: async (ctx) => {
          const lat = [];
          const all = Array.from({ length: nBulk }, (_, i) => ({ i }));
          const t0 = now();
          for (const list of chunks(all, batch)) {
            const s = now();
            await adapter.enqueueBulk(ctx, list);
            lat.push(now() - s);
          }
          return { jobs_per_s: nBulk / ((now() - t0) / 1000), lat };
        },
      });
    }
    for (const kind of kinds) {
      const tries = [];
      for (let i = 0; i < repeats; i++) {
        const r = await withQueue(
          adapter,
          base,
          kind.fields,
          { variant: entry.variant },
          kind.once,
        );
        if (!r) break;
        tries.push(r);
      }
      if (tries.length === 0) continue;
      const m = medianBy(tries, "jobs_per_s");
      record({
        ...base,
        ...kind.fields,
        jobs_per_s: m.jobs_per_s,
        ...percentiles(m.lat),
        ...(tries.length > 1 ? { tries_jobs_per_s: tries.map((t) => round(t.jobs_per_s, 1)) } : {}),
        notes: `${kind.note}${tries.length > 1 ? `; median of ${tries.length} runs` : ""}`,
      });
    }
  }
}

function bulkCall(system) {
  return (
    {
      keel: "submitMany",
      bullmq: "Queue.addBulk",
      "pg-boss": "insert",
      "graphile-worker": "addJobs",
    }[system] ?? "bulk"
  );
}
