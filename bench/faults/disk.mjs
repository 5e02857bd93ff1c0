// disk_full: the home on a real 8 MiB tmpfs (mounted per trial: needs root), filled by a filler file
// while runs are in flight until keel holds its writes (`storageFull`), then the filler is deleted.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pipeline, step } from "../../dist/src/index.js";
import { now, removeDir, sleep, tempHome } from "../lib/common.mjs";
import {
  FAULT_MIN_MS,
  checkTrial,
  describeStore,
  drained,
  firstAfter,
  startKeel,
  waitFor,
} from "./shared.mjs";

const RUNS = 40;
const CONCURRENCY = 4;
export const settingsNote = `KEEL_HOME on an 8 MiB tmpfs; ${RUNS} runs of 3 steps (each output about 10 KB), concurrency ${CONCURRENCY}; the filler file is written in 64 KiB blocks until ENOSPC from the event of the first step a checkpoint, so runs are in flight`;

function mount(dir) {
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir], { stdio: "pipe" });
}

function unmount(dir) {
  execFileSync("umount", ["-l", dir], { stdio: "pipe" });
}

/** null when this machine lets the bench mount a tmpfs, else why not (it needs root) */
export function cannotMount() {
  const dir = tempHome("recovery-mount-check");
  try {
    mount(dir);
    unmount(dir);
    return null;
  } catch (error) {
    return String(error.stderr ?? error.message).trim() || String(error);
  } finally {
    removeDir(dir);
  }
}

/** writes 64 KiB blocks until the filesystem refuses: the disk is then really full */
function fill(path) {
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 1000; i++) writeFileSync(path, block, { flag: "a" });
  } catch (error) {
    if (error.code !== "ENOSPC") throw error;
    return;
  }
  throw new Error("64 MiB written and the tmpfs is still not full");
}

const big = "x".repeat(10_000);
const a = step("a", async (_ctx, input) => {
  await sleep(5);
  return { n: input.n, blob: big };
});
const b = step("b", { after: [a] }, (_ctx, deps) => ({ n: deps.a.n, blob: big }));
const c = step("c", { after: [b] }, (_ctx, deps) => ({ n: deps.b.n, blob: big }));
const disk = pipeline("disk", [a, b, c]);

export async function trial() {
  const mountPoint = tempHome("recovery-disk");
  mount(mountPoint);
  const home = join(mountPoint, "home");
  mkdirSync(home);
  const filler = join(mountPoint, "filler");
  const { k, events } = startKeel({ home, pipelines: [disk], concurrency: CONCURRENCY });
  // filled from the event of a first step's checkpoint: that run has two more steps to write, so
  // the fault surely meets a run in flight (filled from a poll, it could land between two claims,
  // when keel holds nothing and only stops claiming)
  let faultOn = null;
  k.on("step", (e) => {
    if (faultOn !== null || e.status !== "succeeded" || e.step !== "a") return;
    fill(filler);
    faultOn = now();
  });
  try {
    const runs = await k.submitMany(
      disk,
      Array.from({ length: RUNS }, (_, n) => ({ n })),
    );
    await k.start();
    await waitFor("the disk filled at a first checkpoint", () => faultOn);
    await waitFor("keel holding its writes (storageFull)", () =>
      events.held.length > 0 && now() - faultOn >= FAULT_MIN_MS ? true : null,
    );
    const backlog = RUNS - events.succeeded.size;
    rmSync(filler);
    const cleared = now();
    const first = await waitFor(
      "a step succeeded after the clear",
      () => firstAfter(events, cleared, (e) => e.status === "succeeded"),
      { explain: () => describeStore(home) },
    );
    const last = await drained(events, runs, home);
    await checkTrial(k, home, runs, 3);
    return {
      first_step_ms: first - cleared,
      drained_ms: last - cleared,
      runs: RUNS,
      backlog_at_clear: backlog,
      held_writes: events.held.filter((t) => t < cleared).length,
      fault_ms: cleared - faultOn,
    };
  } finally {
    rmSync(filler, { force: true });
    await k.stop({ force: true });
    unmount(mountPoint);
    removeDir(mountPoint);
  }
}
