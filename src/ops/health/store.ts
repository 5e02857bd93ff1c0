import type { StoreReachState } from "../../engine/store-reach.js";
import type { StoreWatchState } from "../../engine/store-watch.js";
import { describeFindings } from "../../store/storage.js";
import { inspectStoreFile } from "../../store/files.js";
import type { Store } from "../../store/store.js";
import { keelCommand, restoreHint } from "../db-files.js";
import type { Clock, ComponentHealth } from "./types.js";

/**
 * The store: its file looks like a database, and it answers a query. Cheap: no integrity scan
 * (that is `keel db check`).
 */
export async function checkStoreHealth(
  file: string,
  open: () => Store,
  clock: Clock = Date.now,
): Promise<ComponentHealth> {
  const state = inspectStoreFile(file);
  const fail = (reason: string): ComponentHealth => ({
    component: "store",
    status: "unhealthy",
    reason,
    details: { file },
  });
  if (state.kind === "missing")
    return fail(`there is no store at ${file} yet; \`keel start\` creates it`);
  if (state.kind === "corrupt")
    return fail(`the store file ${file} is corrupt: ${state.reason} (see \`keel db check\`)`);
  const started = clock();
  try {
    const store = open();
    try {
      const counts = await store.countRunsByStatus();
      const runs = Object.values(counts).reduce((a, b) => a + b, 0);
      const ms = clock() - started;
      return {
        component: "store",
        status: "healthy",
        reason: `answers in ${ms} ms; ${runs} run${runs === 1 ? "" : "s"}`,
        details: { file, bytes: state.bytes, runs, ms },
      };
    } finally {
      await store.close();
    }
  } catch (error) {
    return fail(`the store at ${file} does not answer: ${(error as Error).message}`);
  }
}

/**
 * What the node's store watch knows first-hand: damage it is checking or repairing, or damage it
 * cannot repair (with the commands that recover, in order), and otherwise its last check and repair
 * beside the live look above.
 */
export function withStoreWatch(
  health: ComponentHealth,
  watch: StoreWatchState | undefined,
  home: string,
): ComponentHealth {
  if (!watch) return health;
  const details = {
    ...health.details,
    state: watch.state,
    since: watch.since,
    checkedAt: watch.checkedAt,
    checkLevel: watch.checkLevel,
    checkMs: watch.checkMs,
    intervalMs: watch.intervalMs,
    findings: watch.findings,
    lastRepair: watch.lastRepair,
  };
  if (watch.state === "ok") {
    const repaired = watch.lastRepair
      ? `; repaired itself at ${new Date(watch.lastRepair.at).toISOString()} (${watch.lastRepair.actions.join(", ")})`
      : "";
    return { ...health, reason: `${health.reason}${repaired}`, details };
  }
  const what = describeFindings(watch.findings);
  if (watch.state !== "damaged")
    return {
      ...health,
      status: "unhealthy",
      reason: `${watch.state === "checking" ? watch.reason : `damaged indexes (${what}) are being rebuilt from their tables`}: claiming paused and writes held until the store is whole`,
      details,
    };
  const advice = [
    keelCommand(home, "stop"),
    restoreHint(home),
    keelCommand(home, "db rebuild-state --apply"),
    keelCommand(home, "start"),
  ];
  return {
    ...health,
    status: "unhealthy",
    reason: `the store file is damaged (${what}): the node claims nothing and writes nothing more to it. Recover with \`${advice.join("`, then `")}\``,
    details: { ...details, advice },
  };
}

/**
 * What the node knows of its store's reach: a server it cannot reach since when, and the finished
 * steps' writes it holds in memory meanwhile (written once it is back; nothing is claimed until
 * then). Its own look above cannot reach the server either; this says since when and what waits.
 */
export function withStoreReach(
  health: ComponentHealth,
  reach: StoreReachState | undefined,
): ComponentHealth {
  if (!reach || reach.reachable || reach.since === null) return health;
  const server = /^postgres/i.test(String(health.details?.file ?? "")) ? "PostgreSQL" : "the store";
  return {
    ...health,
    status: "unhealthy",
    reason: `${server} unreachable since ${new Date(reach.since).toISOString()}; ${reach.held} result${reach.held === 1 ? "" : "s"} held in memory, written once it is back; nothing is claimed meanwhile${reach.lastError ? ` (${reach.lastError})` : ""}`,
    details: { ...health.details, unreachableSince: reach.since, heldResults: reach.held },
  };
}
