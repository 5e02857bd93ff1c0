// Case 5: crash recovery. A worker in a child process takes 5 long-running jobs (enqueued before
// it starts); 2 s after the
// last one started it is killed with SIGKILL, a new worker starts in the harness right away, and
// we time the kill to the first of those jobs running again (and to all 5), capped.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { benchDir, now, round, signal, sleep, waitUntil, within } from "../lib/common.mjs";
import { record } from "../lib/results.mjs";
import { loadAdapter } from "../systems/index.mjs";

export const number = 5;
export const title = "crash recovery";

const HELD = 5;
const HOLD_MS = 2000;
const CONCURRENCY = 10;

/** `variantsOf`: the settings tried per adapter (its crashVariants unless said otherwise) */
export async function run({ modules, quick, variantsOf = (adapter) => adapter.crashVariants }) {
  const capMs = quick ? 10_000 : 60_000;
  for (const module of modules) {
    const adapter = await loadAdapter(module);
    for (const cv of variantsOf(adapter)) {
      const meta = await adapter.info(cv.variant);
      const base = {
        system: adapter.name,
        version: meta.version,
        store: meta.store,
        durability: meta.durability,
        variant: cv.label,
      };
      const fields = { case: "5-crash-recovery", n: HELD, concurrency: CONCURRENCY };
      let ctx;
      let child;
      try {
        ctx = await adapter.setup({ variant: cv.variant, concurrency: CONCURRENCY });
        const r = await crashOnce(adapter, ctx, capMs, (c) => (child = c));
        const capS = capMs / 1000;
        record({
          ...base,
          ...fields,
          recovery_ms: r.first === null ? null : round(r.first),
          all_recovered_ms: r.all === null ? null : round(r.all),
          recovery: r.first === null ? `> ${capS} s` : span(r.first),
          all_recovered: r.all === null ? (r.first === null ? "–" : "not within cap") : span(r.all),
          notes: [
            r.first === null
              ? `no held job ran again within ${capS} s (the wait is capped; not waited out)`
              : `first held job ran again ${round(r.first)} ms after SIGKILL${r.all === null ? `; not all ${HELD} within the cap` : `, all ${HELD} after ${round(r.all)} ms`}`,
            "includes the new worker's startup",
            cv.notes,
          ]
            .filter(Boolean)
            .join("; "),
        });
      } catch (error) {
        process.stderr.write(
          `bench: ${adapter.name} crash (${cv.label}): ${error.stack ?? error}\n`,
        );
        record({ ...base, ...fields, notes: `error: ${error.message}` });
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        if (ctx)
          await adapter
            .teardown(ctx)
            .catch((e) => process.stderr.write(`bench: teardown failed: ${e.message}\n`));
      }
    }
  }
}

function span(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${round(ms / 1000, 2)} s`;
}

async function crashOnce(adapter, ctx, capMs, keepChild) {
  // enqueued before the worker starts, so that pg-boss's first fetch takes all of them in one
  // batch (a batch that never ends blocks its work() loop from fetching more)
  for (let i = 0; i < HELD; i++) await adapter.enqueueHold(ctx, { key: `k${i}`, i });
  const spec = adapter.holdChild
    ? adapter.holdChild(ctx, CONCURRENCY)
    : {
        command: process.execPath,
        args: [
          join(benchDir, "children", "hold-worker.mjs"),
          adapter.name,
          JSON.stringify(ctx.config),
          String(CONCURRENCY),
        ],
        ready: "ready",
      };
  const child = spawn(spec.command, spec.args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...spec.env },
  });
  keepChild(child);
  const ready = signal();
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const started = new Set();
  const holders = [];
  let stderr = "";
  let buffer = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  child.stdout.on("data", (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.includes(spec.ready)) ready.resolve();
      const m = /^started (\S+)(?: (\S+))?/.exec(line);
      if (m) {
        started.add(m[1]);
        if (m[2] && m[2] !== "-") holders.push(m[2]);
      }
    }
  });
  if (
    (await within(Promise.race([ready.promise, exited.then(() => "exit")]), 30_000)) !== undefined
  ) {
    throw new Error(`the worker child did not get ready: ${stderr.trim().slice(-500)}`);
  }
  if (!(await waitUntil(() => started.size >= HELD, 30_000, 5))) {
    throw new Error(
      `only ${started.size} of ${HELD} jobs started in the child: ${stderr.trim().slice(-500)}`,
    );
  }
  await sleep(HOLD_MS);

  const killedAt = now();
  child.kill("SIGKILL");
  await exited;

  const seen = new Map();
  const first = signal();
  const all = signal();
  await adapter.beforeRecover?.(ctx, holders);
  await adapter.workHold(ctx, CONCURRENCY, (data) => {
    if (!seen.has(data.key)) seen.set(data.key, now());
    if (seen.size === 1) first.resolve();
    if (seen.size === HELD) all.resolve();
  });
  const left = () => Math.max(0, capMs - (now() - killedAt));
  const gotFirst = (await within(first.promise, left())) !== "timeout";
  const gotAll = gotFirst && (await within(all.promise, left())) !== "timeout";
  const times = [...seen.values()].map((t) => t - killedAt);
  return { first: gotFirst ? Math.min(...times) : null, all: gotAll ? Math.max(...times) : null };
}
