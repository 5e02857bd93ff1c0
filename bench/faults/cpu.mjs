// cpu_throttling: CPU hogs (busy-loop child processes, one per core; stress-ng is not on this
// machine) while runs of 3 CPU-bound steps arrive at a steady rate; the clear is the hogs killed.
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
/** runs per second: about 45 % of one unloaded core at STEP_MS x 3 steps */
const RATE = 50;
const WARMUP_MS = 500;
const hogs = os.availableParallelism?.() ?? os.cpus().length;
let turns = 0;

export const settingsNote = `3 steps of fixed CPU work each (calibrated to ${STEP_MS} ms: the best of 7 timings before the first trial), inline on the node's event loop, default concurrency (10); ${RATE} runs/s submitted from the start to the clear (${WARMUP_MS} ms before the hogs, then the fault); ${hogs} hogs (node -e 'for(;;){}'), one per core`;

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

function startHogs() {
  return Array.from({ length: hogs }, () => {
    const child = spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    return { child, exited };
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
    producer = produce(k, cpu, (n) => ({ n }), { perSecond: RATE });
    await sleep(WARMUP_MS);
    running = startHogs();
    const faultOn = performance.now();
    await sleep(FAULT_MIN_MS);
    for (const h of running) h.child.kill("SIGKILL");
    await Promise.all(running.map((h) => h.exited));
    const cleared = performance.now();
    await producer.stop();
    const backlog = producer.runs.length - events.succeeded.size;
    const first = await waitFor("a step succeeded after the clear", () =>
      firstAfter(events, cleared, (e) => e.status === "succeeded"),
    );
    const last = await drained(events, producer.runs, home);
    await checkTrial(k, home, producer.runs, 3);
    // step execution time by when the step started: before the hogs, under them, after them
    const phase = (from, to) =>
      events.steps
        .filter((e) => e.status === "succeeded" && e.at - e.ms >= from && e.at - e.ms < to)
        .map((e) => e.ms);
    return {
      first_step_ms: first - cleared,
      drained_ms: last - cleared,
      runs: producer.runs.length,
      backlog_at_clear: backlog,
      fault_ms: cleared - faultOn,
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
