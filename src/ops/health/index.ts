import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { openStore, storeLocation } from "../../store/open-store.js";
import { inspectStoreFile } from "../../store/sqlite/file-check.js";
import type { Store } from "../../store/store.js";
import { readLivePid } from "../pidfile.js";
import type { DiskGuardState } from "../../engine/disk-guard.js";
import type { DeadNode } from "../../engine/liveness.js";
import type { DiskThresholds } from "../../engine/disk-usage.js";
import type { SourceProblem } from "../../engine/scheduler.js";
import type { StoreWatchState } from "../../engine/store-watch.js";
import { checkBreakerHealth } from "./breakers.js";
import { checkDiskHealth, diskGuardHealth, type StatfsFn } from "./disk.js";
import { checkNodeHealth, withDeadNodes } from "./node.js";
import { checkQueueHealth } from "./queue.js";
import { checkSchedulerHealth } from "./scheduler.js";
import { checkStoreHealth, withStoreWatch } from "./store.js";
import { worst, type Clock, type ComponentHealth, type HealthStatus } from "./types.js";
import { workersHealth, type WorkersLive } from "./workers.js";

export { worst, type ComponentHealth, type HealthStatus } from "./types.js";

export const healthComponents = [
  "store",
  "node",
  "queue",
  "disk",
  "breakers",
  "workers",
  "scheduler",
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

export interface LiveNodeState extends WorkersLive {
  disk?: DiskGuardState;
  /** the nodes it declared dead, newest first */
  deadNodes?: readonly DeadNode[];
  /** sources whose last tick or scan failed on that node */
  sourceProblems?: readonly SourceProblem[];
  /** its watch of the store file: the last check, damage, the last repair */
  storage?: StoreWatchState;
}

/** Runs the checks of this home's node on a read-only connection; never throws for a bad store. */
export async function checkHealth(
  home: string,
  options: HealthOptions = {},
): Promise<HealthReport> {
  const clock = options.clock ?? Date.now;
  const wanted = options.components ?? healthComponents;
  // KEEL_STORE, when set, names the file the node uses: the one to look at
  const file = storeLocation(home);
  const open = (): Store => openStore({ home, readonly: true });
  // read once: every component that cares judges the same pidfile
  const pid = readLivePid(home);
  const look: StoreLook = { file, open, pid, clock, live: options.live };
  const components: ComponentHealth[] = [];
  for (const component of wanted) {
    if (component === "store")
      components.push(
        withStoreWatch(await checkStoreHealth(file, open, clock), options.live?.storage, home),
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
  component: "node" | "queue" | "breakers" | "scheduler",
  { file, open, pid, clock, live }: StoreLook,
): Promise<ComponentHealth> {
  if (component === "node" && pid === null)
    return checkNodeHealth({ pid, nodes: [], host: hostname(), now: clock() });
  if (inspectStoreFile(file).kind !== "ok") {
    if (component === "node")
      return checkNodeHealth({ pid, nodes: [], host: hostname(), now: clock() });
    const reason = {
      queue: "no run is waiting",
      breakers: "no breaker is open",
      scheduler: "no source is late",
    }[component];
    return { component, status: "healthy", reason: `no store yet, so ${reason}`, details: {} };
  }
  try {
    const store = open();
    try {
      if (component === "queue") return await checkQueueHealth(store, clock());
      if (component === "breakers") return await checkBreakerHealth(store);
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
