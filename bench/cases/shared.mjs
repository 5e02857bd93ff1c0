// What every case does around a system: load its adapter, describe it, set up and tear down a
// fresh queue, and turn a failure into an error line instead of ending the run.
import { chunks, now, waitUntil } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { loadAdapter } from "../systems/index.mjs";

export function entriesFor(entries, caseNumber) {
  return entries.filter((e) => !e.cases || e.cases.includes(caseNumber));
}

export async function describe(entry) {
  const adapter = await loadAdapter(entry.module);
  let meta;
  try {
    meta = await adapter.info(entry.variant);
  } catch (error) {
    // the entry's own server could not be reached or started: each of its measurements then
    // records an error line (its setup fails the same way) and the run goes on
    process.stderr.write(`bench: ${entry.id}: ${error.message}\n`);
    meta = { version: "?", store: `unavailable: ${error.message}`, durability: "unknown" };
  }
  return {
    adapter,
    base: {
      system: adapter.name,
      version: meta.version,
      store: meta.store,
      durability: meta.durability,
      variant: entry.variantLabel,
    },
  };
}

/** setup -> fn(ctx) -> teardown; an exception is reported as a line with notes "error: ..." */
export async function withQueue(adapter, base, fields, options, fn) {
  let ctx;
  try {
    ctx = await adapter.setup(options);
    return await fn(ctx);
  } catch (error) {
    process.stderr.write(
      `bench: ${base.system} (${base.variant}) ${fields.case}: ${error.stack ?? error}\n`,
    );
    record({ ...base, ...fields, notes: `error: ${error.message}` });
    return undefined;
  } finally {
    if (ctx) {
      try {
        await adapter.teardown(ctx);
      } catch (error) {
        process.stderr.write(`bench: teardown of ${base.system} failed: ${error.message}\n`);
      }
    }
  }
}

/** fills a queue before a processing case: bulk in batches of 1000 where the system has it */
export async function prefill(adapter, ctx, n, make = (i) => ({ i })) {
  const all = Array.from({ length: n }, (_, i) => make(i));
  if (adapter.enqueueBulk) {
    for (const batch of chunks(all, 1000)) await adapter.enqueueBulk(ctx, batch);
  } else {
    for (const data of all) await adapter.enqueue(ctx, data);
  }
}

/**
 * Waits for a system to have recorded every completion. keel and BullMQ report completion after
 * the write (settled / completed events); pg-boss and graphile-worker write it after the handler
 * returns without awaiting it, so for all systems the end is the first poll (every 10 ms) that
 * finds no unfinished job, taken only once every handler has returned.
 */
export async function waitDrained(adapter, ctx, timeoutMs) {
  const ok = await waitUntil(async () => (await adapter.pending(ctx)) === 0, timeoutMs, 10);
  return ok ? now() : null;
}
