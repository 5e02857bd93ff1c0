// cpu_throttling: CPU hogs, one busy-loop child process per core, while runs of 3 CPU-bound steps
// arrive at a steady rate; the hogs stop by themselves after the fault's time and say when they
// ran (rather than stress-ng, which would leave the fault's edges to this process's timers).
import { spawn } from "node:child_process";
import os from "node:os";
import { pipeline, step } from "../../dist/src/index.js";
import { removeDir, sleep, spread, tempHome } from "../lib/common.mjs";
import {
  FAULT_MIN_MS,
  checkTrial,
  drained,
  firstAfter,
  produce,
  startKeel,
  waitFor,
} from "./shared.mjs";

/** CPU time of one step on an idle core, fixed as a number of loop turns by `calibrate` */
const STEP_MS = 3;
/** runs per second: about 55 % of one unloaded core at STEP_MS x 3 steps, more than keel's share
 * of the CPU under the hogs */
const RATE = 60;
const WARMUP_MS = 500;
const hogs = os.availableParallelism?.() ?? os.cpus().length;
let turns = 0;

export const settingsNote = `3 steps of fixed CPU work each (calibrated to ${STEP_MS} ms: the best of 7 timings before the first trial), inline on the node's event loop; keel's default worker limit (adaptive, 1 to min(cpus, 8) = ${Math.min(hogs, 8)} here, cut under CPU pressure); ${RATE} runs/s submitted from the start and on after the clear (${WARMUP_MS} ms before the hogs, then ${FAULT_MIN_MS} ms of fault); drained = every run submitted before the clear succeeded; ${hogs} hogs (node -e with a busy loop of ${FAULT_MIN_MS} ms), one per core; the fault's start and end are the hogs' own clocks`;

function spin(n) {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + Math.sqrt(i * x + 1)) % 1e9;
  return x;
}

/** the loop turns that take STEP_MS now (best of a few tries: the least disturbed one) */
export function calibrate() {
  const probe = 200_000;
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    spin(probe);
    best = Math.min(best, performance.now() - t);
  }
  turns = Math.round((probe * STEP_MS) / best);
  return turns;
}

const work = (name, after) =>
  step(name, after ? { after: [after] } : {}, (_ctx, input) => ({ n: input.n, x: spin(turns) }));
const parse = work("parse");
const embed = work("embed", parse);
const score = work("score", embed);
const cpu = pipeline("cpu", [parse, embed, score]);

/**
 * One busy loop per core, each ending by itself after `ms` and printing when it ran (epoch ms):
 * the fault's edges come from the hogs' own clocks, not from a timer in this process, whose
 * event loop keel shares (and which may be late while the node is starved).
 */
function runHogs(ms) {
  const source = `const t = performance.now(); while (performance.now() - t < ${ms}); const o = performance.timeOrigin; process.stdout.write(\`\${o + t} \${o + performance.now()}\`);`;
  return Array.from({ length: hogs }, () => {
    const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const done = new Promise((resolve, reject) =>
      // close, not exit: by then its stdout has been read
      child.once("close", (code) => {
        const [start, end] = out.split(" ").map(Number);
        if (code === 0 && end > start) resolve({ start, end });
        else reject(new Error(`a CPU hog exited with ${code} (${out})`));
      }),
    );
    done.catch(() => undefined); // a hog killed in the trial's cleanup is no news
    return { child, done };
  });
}

export async function trial() {
  if (turns === 0) calibrate();
  const home = tempHome("recovery-cpu");
  const { k, events } = startKeel({ home, pipelines: [cpu] });
  let producer;
  let running = [];
  try {
    await k.start();
    // what adaptive concurrency does about the hogs: the lowest limit of runs in flight it set
    let lowestLimit = k.concurrencyState?.limit ?? null;
    k.on("concurrency", (state) => (lowestLimit = Math.min(lowestLimit ?? Infinity, state.limit)));
    producer = produce(k, cpu, (n) => ({ n }), { perSecond: RATE });
    await sleep(WARMUP_MS);
    running = runHogs(FAULT_MIN_MS);
    const ran = await Promise.all(running.map((h) => h.done));
    const faultOn = Math.min(...ran.map((r) => r.start));
    const cleared = Math.max(...ran.map((r) => r.end));
    // runs keep arriving after the clear, as they would: the backlog is what was submitted before
    // it and not done by it (times from the store and the events, not from when this loop looks)
    const first = await waitFor("a step succeeded after the clear", () =>
      firstAfter(events, cleared, (e) => e.status === "succeeded"),
    );
    const before = producer.runs.filter((r) => r.createdAt <= cleared);
    const last = await drained(events, before, home);
    const backlog = before.filter((r) => events.succeeded.get(r.id) > cleared).length;
    await producer.stop();
    await drained(events, producer.runs, home);
    await checkTrial(k, home, producer.runs, 3);
    // step execution time by when the step started: before the hogs, under them, after them
    const phase = (from, to) =>
      events.steps
        .filter((e) => e.status === "succeeded" && e.at - e.ms >= from && e.at - e.ms < to)
        .map((e) => e.ms);
    return {
      first_step_ms: first - cleared,
      // 0 when the node had caught up by the clear
      drained_ms: Math.max(0, last - cleared),
      runs: before.length,
      backlog_at_clear: backlog,
      fault_ms: cleared - faultOn,
      lowest_worker_limit: lowestLimit,
      step_ms: {
        before: phase(0, faultOn),
        during: phase(faultOn, cleared),
        after: phase(cleared, Infinity),
      },
    };
  } finally {
    for (const h of running) if (h.child.exitCode === null) h.child.kill("SIGKILL");
    await producer?.stop();
    await k.stop({ force: true });
    removeDir(home);
  }
}

/** the scenario's line: step execution times of all trials, pooled, per phase */
export function stepLatency(trials) {
  const pooled = (key) => spread(trials.flatMap((t) => t.step_ms[key]));
  return { before: pooled("before"), during: pooled("during"), after: pooled("after") };
}
