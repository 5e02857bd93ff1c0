// The store's own cost per run, no engine at all: SqliteStore claims B runs, starts and completes
// each, B runs in lockstep, as a node at concurrency B would at best. MODE=3c: claim, start and
// complete each their own group commit; 2c: start and complete share one; 1c: the next claim too;
// 1e: as the engine writes a one-step run (its start folded into its checkpoint, the next claim
// in the same commit).
//   npm run build && MODE=3c B=10 N=20000 node bench/tools/store-floor.mjs
// It tells what any engine on this store can reach at most (see "Where keel's time goes").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../dist/src/store/sqlite/sqlite-store.js";
import { queueNoopRuns } from "./queued-runs.mjs";
const N = Number(process.env.N ?? 20000),
  B = Number(process.env.B ?? 10);
const dir = mkdtempSync(join(tmpdir(), "floor-"));
const store = SqliteStore.open({ path: join(dir, "keel.db") });
const stop = store.onWork(() => {}); // starts the checkpointer like a node does
const now = Date.now();
await store.registerNode({
  id: "n1",
  host: "h",
  pid: process.pid,
  capabilities: [],
  version: "x",
  now,
});
await queueNoopRuns(store, N, now);
const t0 = performance.now();
let done = 0;
const MODE = process.env.MODE ?? "3c";
const claim = () =>
  store.claimRuns({ nodeId: "n1", limit: B, leaseMs: 30000, now: Date.now(), pipelines: ["noop"] });
const start = (c) => store.startStep(c.lease, "noop", 1, "pending", Date.now());
// folded: the step's start written with its checkpoint, as the engine writes a step done in a turn
const checkpointOf = (folded) => {
  const t = Date.now();
  const cp = {
    step: "noop",
    output: null,
    outputHash: "x",
    attempt: 1,
    startedAt: t,
    finishedAt: t,
  };
  return folded ? { ...cp, start: { from: "pending", at: t } } : cp;
};
const complete = (c) => store.completeStep(c.lease, checkpointOf(false), null);
const completeFolded = (c) => store.completeStep(c.lease, checkpointOf(true), null);
if (MODE === "1e") {
  let claimed = await claim();
  while (claimed.length > 0) {
    const writes = claimed.map(completeFolded);
    const next = claim();
    await Promise.all(writes);
    done += claimed.length;
    claimed = await next;
  }
} else if (MODE === "1c") {
  // one commit per batch: start+complete of this batch and the claim of the next share it
  let claimed = await claim();
  while (claimed.length > 0) {
    const next = claim();
    // claim runs after the completes in the same transaction only if queued after them:
    // queue completes first
    await Promise.all([...claimed.map((c) => start(c).then(() => {})), ...claimed.map(complete)]);
    done += claimed.length;
    claimed = await next;
  }
} else {
  while (done < N) {
    const claimed = await claim();
    if (claimed.length === 0) break;
    if (MODE === "2c") await Promise.all([...claimed.map(start), ...claimed.map(complete)]);
    else {
      await Promise.all(claimed.map(start));
      await Promise.all(claimed.map(complete));
    }
    done += claimed.length;
  }
}
const ms = performance.now() - t0;
console.log(
  JSON.stringify({
    MODE,
    B,
    done,
    ms: +ms.toFixed(0),
    us_per_run: +((ms * 1000) / done).toFixed(1),
    runs_per_s: Math.round((done / ms) * 1000),
  }),
);
stop();
await store.close();
rmSync(dir, { recursive: true, force: true });
