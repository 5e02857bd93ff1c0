import type { Condition } from "./condition.js";
import { quiet, seconds, worstOf } from "./condition.js";

/** Conditions on the queue: backlog, the oldest due run's wait, runs that run too long. */
export const queueBacklog: Condition = async (f, rule) => {
  const waiting = await f.once("waiting", () => f.store.countWaiting());
  const worst = worstOf(waiting.pending, (p) => p.runs);
  if (!worst) return quiet("no run is pending", 0);
  const holds = worst.runs > rule.threshold;
  return {
    holds,
    value: worst.runs,
    summary: `${worst.runs} runs pending in pipeline ${worst.pipeline} (threshold ${rule.threshold})`,
    labels: { pipeline: worst.pipeline },
  };
};

export const oldestDueAge: Condition = async (f, rule) => {
  const pipelines = [...new Set((await f.store.listPipelines()).map((p) => p.name))];
  const ages: { pipeline: string; ageS: number }[] = [];
  for (const pipeline of pipelines) {
    const dueAt = await f.store.nextDueAt([pipeline]);
    if (dueAt !== null && dueAt <= f.now) ages.push({ pipeline, ageS: seconds(f.now - dueAt) });
  }
  const worst = worstOf(ages, (a) => a.ageS);
  if (!worst) return quiet("no run is due and waiting", 0);
  return {
    holds: worst.ageS > rule.threshold,
    value: worst.ageS,
    summary: `the oldest due run of pipeline ${worst.pipeline} has waited ${worst.ageS} s (threshold ${rule.threshold} s)`,
    labels: { pipeline: worst.pipeline },
  };
};

/** The run waiting longest at an approval gate for a person (runs at gates are not backlog). */
export const gateWait: Condition = async (f, rule) => {
  const open = await f.store.countOpenGates();
  const worst = worstOf(open, (g) => f.now - g.oldestOpenedAt);
  if (!worst) return quiet("no run waits at an approval gate", 0);
  const ageS = seconds(f.now - worst.oldestOpenedAt);
  return {
    holds: ageS > rule.threshold,
    value: ageS,
    summary: `a run of pipeline ${worst.pipeline} has waited ${ageS} s at approval gate ${worst.gate} (threshold ${rule.threshold} s); see \`keel gates list --pipeline ${worst.pipeline}\``,
    labels: { pipeline: worst.pipeline, gate: worst.gate },
  };
};

/** the running runs looked at: the newest this many (an older one is older still) */
const runningPage = 1000;

export const runStuck: Condition = async (f, rule) => {
  const { runs } = await f.store.listRuns({ status: "running", limit: runningPage });
  const started = runs.filter((r) => r.startedAt !== null);
  const worst = worstOf(started, (r) => f.now - (r.startedAt ?? f.now));
  if (!worst) return quiet("no run is running", 0);
  const ageS = seconds(f.now - (worst.startedAt ?? f.now));
  return {
    holds: ageS > rule.threshold,
    value: ageS,
    summary: `run ${worst.id} of pipeline ${worst.pipeline} has been running for ${ageS} s (threshold ${rule.threshold} s); see \`keel jobs show ${worst.id}\``,
    labels: { pipeline: worst.pipeline, run: worst.id },
  };
};
