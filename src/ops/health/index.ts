import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { storeLocation } from "../../store/home.js";
import { inspectStoreFile } from "../../store/files.js";
import type { Store } from "../../store/store.js";
import { readLivePid } from "../pidfile.js";
import type { DiskThresholds } from "../../engine/disk-usage.js";
import type { NodeSnapshot } from "../../engine/node-snapshot.js";
import { checkBreakerHealth } from "./breakers.js";
import { checkAlertHealth } from "./alerts.js";
import { clusterHealth, readClusterFigures } from "./cluster.js";
import { defaultWindows } from "../cluster.js";
import { checkEmergencyHealth } from "./emergency.js";
import { checkDiskHealth, diskGuardHealth, type StatfsFn } from "./disk.js";
import { checkNodeHealth, withDeadNodes } from "./node.js";
import { checkQueueHealth } from "./queue.js";
import { checkSchedulerHealth } from "./scheduler.js";
import { checkStoreHealth, withStoreReach, withStoreWatch } from "./store.js";
import { worst, type Clock, type ComponentHealth, type HealthStatus } from "./types.js";
import { workersHealth } from "./workers.js";

export { worst, type ComponentHealth, type HealthStatus } from "./types.js";

export const healthComponents = [
  "store",
  "node",
  "queue",
  "disk",
  "breakers",
  "workers",
  "scheduler",
  "emergency",
  "alerts",
  "cluster",
] as const;
export type HealthComponent = (typeof healthComponents)[number];

export function isHealthComponent(name: string): name is HealthComponent {
  return (healthComponents as readonly string[]).includes(name);
}

export interface HealthReport {
  status: HealthStatus;
  home: string;
  checkedAt: number;
  components: ComponentHealth[];
}

export interface HealthOptions {
  components?: readonly HealthComponent[];
  clock?: Clock;
  statfs?: StatfsFn;
  /** keel.yaml's disk thresholds, for a look at the disk without a node (default 80 / 90) */
  diskThresholds?: DiskThresholds;
  /** what the node answering knows first-hand (its API): disk guard, workers, sources, store watch */
  live?: LiveNodeState;
}

/** what the node answering knows first-hand: its snapshot (a caller may give some figures only) */
export type LiveNodeState = Partial<NodeSnapshot>;

/** Runs the checks of this home's node on a read-only connection; never throws for a bad store. */
export async function checkHealth(
  home: string,
  options: HealthOptions = {},
): Promise<HealthReport> {
  const clock = options.clock ?? Date.now;
  const wanted = options.components ?? healthComponents;
  // KEEL_STORE, when set, names the file the node uses: the one to look at
  const file = storeLocation(home);
  // loaded here, not with the module: a CLI asking a running node for its health never opens it
  const { openStore } = await import("../../store/open-store.js");
  const open = (): Store => openStore({ home, readonly: true });
  // read once: every component that cares judges the same pidfile
  const pid = readLivePid(home);
  const look: StoreLook = { file, open, pid, clock, live: options.live };
  const components: ComponentHealth[] = [];
  for (const component of wanted) {
    if (component === "store")
      components.push(
        withStoreReach(
          withStoreWatch(await checkStoreHealth(file, open, clock), options.live?.storage, home),
          options.live?.storeReach,
        ),
      );
    else if (component === "disk")
      components.push(
        options.live?.disk
          ? diskGuardHealth(options.live.disk)
          : checkDiskHealth(existsSync(home) ? home : "/", options.statfs, options.diskThresholds),
      );
    else if (component === "workers") components.push(workersHealth(options.live, pid, clock()));
    else if (component === "node")
      components.push(
        withDeadNodes(await withStore(component, look), options.live?.deadNodes, clock()),
      );
    else components.push(await withStore(component, look));
  }
  return {
    status: worst(components.map((c) => c.status)),
    home,
    checkedAt: clock(),
    components,
  };
}

/** What the components read from the store share: its file, a way to open it, the live pid. */
interface StoreLook {
  file: string;
  open: () => Store;
  pid: number | null;
  clock: Clock;
  live: LiveNodeState | undefined;
}

async function withStore(
  component: "node" | "queue" | "breakers" | "scheduler" | "emergency" | "alerts" | "cluster",
  { file, open, pid, clock, live }: StoreLook,
): Promise<ComponentHealth> {
  if (component === "node" && pid === null)
    return checkNodeHealth({ pid, nodes: [], host: hostname(), now: clock() });
  const state = inspectStoreFile(file);
  if (state.kind !== "ok") {
    if (component === "node")
      return checkNodeHealth({ pid, nodes: [], host: hostname(), now: clock() });
    // a damaged store is no evidence that nothing waits or nothing is open: it cannot be read
    if (state.kind !== "missing")
      return {
        component,
        status: "unhealthy",
        reason: `cannot read the store: it is corrupt (${state.reason}); see the store component and \`keel db check\``,
        details: {},
      };
    const reason = {
      cluster: "no node has joined",
      queue: "no run is waiting",
      breakers: "no breaker is open",
      scheduler: "no source is late",
      emergency: "the emergency stop is off",
      alerts: "no alert delivery is queued",
    }[component];
    return { component, status: "healthy", reason: `no store yet, so ${reason}`, details: {} };
  }
  try {
    const store = open();
    try {
      if (component === "queue") return await checkQueueHealth(store, clock());
      if (component === "breakers") return await checkBreakerHealth(store);
      if (component === "alerts") return await checkAlertHealth(store);
      if (component === "emergency") return await checkEmergencyHealth(store, clock());
      if (component === "cluster")
        return clusterHealth(await readClusterFigures(store, live?.cluster ?? defaultWindows));
      if (component === "scheduler")
        return await checkSchedulerHealth(store, live?.sourceProblems ?? [], clock());
      return checkNodeHealth({
        pid,
        nodes: await store.listNodes(),
        host: hostname(),
        now: clock(),
      });
    } finally {
      await store.close();
    }
  } catch (error) {
    return {
      component,
      status: "unhealthy",
      reason: `cannot read the store: ${(error as Error).message}`,
      details: {},
    };
  }
}
