import { InvalidInputError } from "../core/errors/definition-errors.js";
import { KeelError } from "../core/errors/keel-error.js";
import { isPipeline, type Pipeline } from "../core/pipeline.js";
import { keelVersion } from "../core/version.js";
import type { CleanupTask } from "./disk-cleanup.js";
import type { DiskGuardState } from "./disk-guard.js";
import type { WorkerDeath, WorkerProcess } from "./isolation/pool.js";
import type { KeelOptions } from "./keel-options.js";
import { KeelOperator } from "./keel-operator.js";
import type { DeadNode } from "./liveness.js";
import type { NodeSnapshot } from "./node-snapshot.js";
import type { Scheduler } from "./scheduler.js";
import type { StoreWatchState } from "./store-watch.js";
import type { WorkerLimitState } from "./worker-limit.js";

export type { KeelOptions } from "./keel-options.js";
export type { RunDetails, RunId, RunRef, SubmittedRun, TypedRun } from "./keel-client.js";

/**
 * The library entry: the client (keel-client.ts: submit, get, wait, list), the operator facade
 * (keel-operator.ts: cancel, retry, purge, sources, emergency, breakers) and, here, the node's
 * lifecycle: the pipelines it knows, start() and stop(), and what it knows now (snapshot()).
 */
export class Keel extends KeelOperator {
  private scheduler: Scheduler | undefined;
  private readonly diskCleanup: CleanupTask[] = [];
  /** the stop under way, if any: a second stop() joins it (and a forced one hurries it) */
  private stopping: Promise<void> | undefined;
  private stopForced = false;

  constructor(private readonly options: KeelOptions = {}) {
    super(options);
    for (const p of options.pipelines ?? []) this.register(p);
  }

  register(...pipelines: Pipeline[]): this {
    for (const p of pipelines) {
      if (!isPipeline(p))
        throw new InvalidInputError("register() takes pipelines made with pipeline(name, steps)");
      this.registry.add(p);
    }
    return this;
  }

  get pipelines(): string[] {
    return this.registry.names();
  }

  /** the registered pipeline of that name: what a verify replays, a diff masks with */
  pipeline(name: string): Pipeline | undefined {
    return this.registry.get(name);
  }

  /**
   * What this instance's node knows first-hand now (slots, child processes, guards, dead nodes,
   * failing sources); undefined until start().
   */
  snapshot(): NodeSnapshot | undefined {
    const node = this.node?.snapshot();
    return node && { ...node, sourceProblems: this.scheduler?.problems ?? [] };
  }

  /** the pids of the node's child processes for isolated steps */
  get workerPids(): number[] {
    return this.workerProcesses.map((w) => w.pid);
  }

  /** the child processes running isolated steps on this instance's node, busy or idle */
  get workerProcesses(): WorkerProcess[] {
    return this.snapshot()?.workerProcesses ?? [];
  }

  /** The nodes this instance's node declared dead (and took runs over from), newest first; at most 10. */
  get deadNodes(): readonly DeadNode[] {
    return this.snapshot()?.deadNodes ?? [];
  }

  /** The worker limit now (fixed or adaptive), CPU pressure and the last change; undefined without a node. */
  get concurrencyState(): WorkerLimitState | undefined {
    return this.snapshot()?.workers;
  }

  /** @deprecated read snapshot()?.nodeId */
  get nodeId(): string | undefined {
    return this.node?.id;
  }

  /** @deprecated read snapshot()?.busy */
  get inFlight(): number {
    return this.snapshot()?.busy ?? 0;
  }

  /** @deprecated read snapshot()?.workerDeaths */
  get workerDeaths(): readonly WorkerDeath[] {
    return this.snapshot()?.workerDeaths ?? [];
  }

  /** @deprecated read snapshot()?.disk */
  get diskState(): DiskGuardState | undefined {
    return this.snapshot()?.disk;
  }

  /** @deprecated read snapshot()?.storage */
  get storageState(): StoreWatchState | undefined {
    return this.snapshot()?.storage;
  }

  /** Adds retention tasks the disk guard runs when the data folder fills up (before or after start). */
  addDiskCleanup(...tasks: CleanupTask[]): this {
    this.diskCleanup.push(...tasks);
    this.node?.addDiskCleanup(...tasks);
    return this;
  }

  async start(): Promise<this> {
    if (this.node) throw alreadyStarted();
    const { KeelNode, Scheduler, relayNodeEvents, resolveNodeOptions } = await loadNodeRuntime();
    // a second start() may have begun while the modules loaded
    if (this.node) throw alreadyStarted();
    const node = new KeelNode({
      store: this.store,
      registry: this.registry,
      options: resolveNodeOptions(this.options),
      log: this.log,
      version: keelVersion,
      breakerOptions: this.options.breakers,
    });
    relayNodeEvents(node, this);
    node.addDiskCleanup(...this.diskCleanup);
    this.node = node;
    this.telemetry?.watch(node);
    this.telemetry?.startRetention();
    await node.start();
    this.scheduler = new Scheduler({
      store: this.store,
      sources: this.sourceDefs,
      submit: (def, idempotencyKey, input) =>
        this.submit(def.pipeline, input as never, {
          idempotencyKey,
          source: `source:${def.name}`,
          actor: `source:${def.name}`,
          priority: this.sourcePriority.get(def.name),
        }),
      log: this.log,
      hooks: {
        fileSubmitted: (def, bytes) => this.telemetry?.bytes(def.pipeline, bytes, "source"),
      },
    });
    await this.scheduler.start();
    return this;
  }

  /**
   * Graceful: claim nothing new, wait for the runs in flight. Forced: abort them, their runs go
   * back to pending. A forced stop while a graceful one waits (a second Ctrl-C, `keel stop
   * --force`) hurries that one; every call resolves once the node stopped.
   */
  stop(options: { force?: boolean } = {}): Promise<void> {
    if (this.stopping) {
      if (options.force) {
        this.stopForced = true;
        this.node?.hurryStop();
      }
      return this.stopping;
    }
    this.stopping = this.shutDown(options);
    return this.stopping;
  }

  private async shutDown(options: { force?: boolean }): Promise<void> {
    this.stopForced = Boolean(options.force);
    await this.scheduler?.stop();
    await this.node?.stop({ force: this.stopForced });
    await this.telemetry?.stop();
    if (this.ownsStore) await this.store.close();
  }
}

function alreadyStarted(): KeelError {
  return new KeelError("already_started", "this keel instance already started its node");
}

/**
 * The node's runtime (workers, child processes, sweeps, schedules), loaded by start(): an instance
 * that only reads and changes the store, as a CLI command without a node does, never loads it.
 */
async function loadNodeRuntime() {
  const [node, scheduler, events, options] = await Promise.all([
    import("./node.js"),
    import("./scheduler.js"),
    import("./node-events.js"),
    import("./options.js"),
  ]);
  return {
    KeelNode: node.KeelNode,
    Scheduler: scheduler.Scheduler,
    relayNodeEvents: events.relayNodeEvents,
    resolveNodeOptions: options.resolveNodeOptions,
  };
}

export function keel(options: KeelOptions = {}): Keel {
  return new Keel(options);
}
