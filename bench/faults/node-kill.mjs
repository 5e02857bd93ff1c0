// node-kill: a `keel start --foreground` child holds runs (children/keel-hold-briefly.mjs) while a
// second node on the same home runs in the bench process; the child gets SIGKILL. The survivor
// finds the dead pid with its pid check (every pidCheckMs, no store access), sweeps at once and runs
// the held runs again from their checkpoint; the poll's sweep is only the safety net.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { holdBriefly } from "../children/keel-hold-briefly.mjs";
import { benchDir, now, removeDir, sleep, tempHome } from "../lib/common.mjs";
import { keelStartArgs } from "../lib/keel-node.mjs";
import { checkTrial, drained, readStore, startKeel, waitFor } from "./shared.mjs";

const HELD = 8;
/** the survivor's safety-net poll, which also paces its recovery sweep: keel's default */
const POLL_MS = 1000;

export const settingsNote = `${HELD} runs (prep, then hold: 1 s on the survivor) held by a \`keel start --foreground\` child (concurrency ${HELD}); the survivor, a second node on the same home in the bench process, at keel's defaults (pidCheckMs 100, pollMs ${POLL_MS}, leaseMs 5000, heartbeatMs 1000), started once the child holds every run; the kill lands at a point of the survivor's ${POLL_MS} ms sweep cycle spread evenly over the trials`;

function startChild(home) {
  const args = keelStartArgs(home, {
    pipelines: [join(benchDir, "children", "keel-hold-briefly.mjs")],
    concurrency: HELD,
  });
  const child = spawn(process.execPath, args, {
    // port 0: the child's API takes any free port, not 7420; its runs hold past the trial
    env: { ...process.env, KEEL_SERVER_PORT: "0", KEEL_BENCH_HOLD_MS: "600000" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return { child, exited, stderr: () => stderr.trim() };
}

/** trial `i` of `n`: the kill lands (i + random) / n of the way through the sweep cycle */
export async function trial({ i, n }) {
  const home = tempHome("recovery-kill");
  // the bench's node: a client until it starts, after the child holds every run
  const { k, events } = startKeel({ home, pipelines: [holdBriefly], concurrency: HELD });
  let db;
  let node;
  try {
    const runs = await k.submitMany(
      holdBriefly,
      Array.from({ length: HELD }, (_, j) => ({ key: `k${j}` })),
    );
    node = startChild(home);
    db = await readStore(home);
    const holding = db
      .prepare("SELECT count(*) FROM transitions WHERE step = 'hold' AND to_status = 'running'")
      .pluck();
    await waitFor(`the child holding all ${HELD} runs`, () => {
      if (node.child.exitCode !== null) throw new Error(`the child exited: ${node.stderr()}`);
      return holding.get() >= HELD ? true : null;
    });
    await k.start();
    const startedAt = now();
    await sleep(((i + Math.random()) / n) * POLL_MS);
    const killedAt = now();
    node.child.kill("SIGKILL");
    await node.exited;
    const again = await waitFor(`all ${HELD} held runs running again`, () => {
      const times = events.steps
        .filter((e) => e.step === "hold" && e.status === "running")
        .map((e) => e.at);
      return times.length >= HELD ? times : null;
    });
    const last = await drained(events, runs, home);
    await checkTrial(k, home, runs, 2);
    return {
      first_step_ms: Math.min(...again) - killedAt,
      all_running_ms: Math.max(...again) - killedAt,
      drained_ms: last - killedAt,
      runs: HELD,
      sweep_phase_ms: killedAt - startedAt,
    };
  } finally {
    if (node && node.child.exitCode === null && node.child.signalCode === null)
      node.child.kill("SIGKILL");
    await node?.exited;
    db?.close();
    await k.stop({ force: true });
    removeDir(home);
  }
}
