import { listTransitions } from "../api/operations/events.js";
import { runProgress } from "../api/operations/run-watch.js";
import { waitRun } from "../api/operations/runs.js";
import type { runJson } from "../api/wire/runs.js";
import type { Client } from "./client.js";
import { progressLine } from "./elide.js";

type RunJson = ReturnType<typeof runJson>;

/**
 * `--wait` of `keel submit` and `keel sources trigger`: prints a line per step change (from the
 * transitions feed) and per new progress report of a step, until the run ends. The long poll of
 * `runs.wait` is the pause between looks, so the end is seen at once.
 */
export async function followRun(
  client: Client,
  id: string,
  print: (line: string) => void,
): Promise<RunJson> {
  let after = 0;
  const reported = new Map<string, string>();
  const printNew = async (): Promise<void> => {
    for (;;) {
      const page = await client.call(listTransitions, {
        query: { run: id, after, limit: 1000 },
      });
      for (const t of page.transitions) if (t.step !== null) print(`${t.at}  ${t.step}  ${t.to}\n`);
      after = page.last_id;
      if (page.transitions.length < 1000) break;
    }
    const { progress } = await client.call(runProgress, { params: { id } });
    for (const p of progress) {
      const seen = `${p.attempt} ${p.updated_at} ${p.done} ${p.message}`;
      if (reported.get(p.step) === seen) continue;
      // the first look at a run already under way shows each step's latest report too
      reported.set(p.step, seen);
      print(`${p.updated_at}  ${p.step}  progress ${progressLine(p)}\n`);
    }
  };
  for (;;) {
    await printNew();
    const run = await client.call(waitRun, { params: { id }, query: { timeout_ms: 250 } });
    if (run.terminal) {
      await printNew();
      return run;
    }
  }
}
