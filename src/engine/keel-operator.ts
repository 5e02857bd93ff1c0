import { InvalidInputError, NotFoundError } from "../core/errors/definition-errors.js";
import { newRunId } from "../core/ids.js";
import { AuditAction, type AuditPage, type AuditQuery } from "../store/audit.js";
import type { PurgeResult, RetryResult } from "../store/operator-requests.js";
import type { RunRecord } from "../store/records.js";
import type { SourceRecord } from "../store/sources.js";
import { BreakerControls } from "./breaker-actions.js";
import { GateControls } from "./gate-actions.js";
import { resolveBreakers } from "./breaker-options.js";
import { setEmergencyOff, setEmergencyOn } from "./emergency-actions.js";
import { readEmergency, type EmergencyState } from "./emergency.js";
import { KeelClient, type SubmittedRun } from "./keel-client.js";
import type { KeelOptions } from "./keel-options.js";
import type { KeelNode } from "./node.js";
import {
  purgeQuarantined,
  retryRun,
  type PurgeOptions,
  type RetryOptions,
} from "./operator-actions.js";
import { assertRunNotEnded } from "./run-ended.js";
import { sourceDefinition, sourcePriorities } from "./sources.js";
import { TelemetryRecorder, resolveTelemetryOptions } from "./telemetry-recorder.js";

/**
 * The operator facade: cancel, retry and purge runs, the audit log, sources, the emergency stop and
 * the breakers. Every change goes to the store, audited; when this process runs a node (keel.ts
 * starts it) the node hears of it at once instead of at its next poll.
 */
export class KeelOperator extends KeelClient {
  /** circuit breakers shared through the store: list, trip, reset */
  readonly breakers: BreakerControls;
  /** approval gates: the runs waiting at one, approve, reject */
  readonly gates: GateControls;
  /** this process's node, once started */
  protected node: KeelNode | undefined;
  protected readonly telemetry: TelemetryRecorder | undefined;
  /** the configured sources, checked; a started node ticks them */
  protected readonly sourceDefs: ReturnType<typeof sourceDefinition>[];
  protected readonly sourcePriority: Map<string, number>;

  constructor(options: KeelOptions = {}) {
    super(options);
    this.sourceDefs = (options.sources ?? []).map(sourceDefinition);
    if (options.telemetry !== false)
      this.telemetry = new TelemetryRecorder(
        this.store,
        this.log,
        resolveTelemetryOptions(options.telemetry),
      );
    this.sourcePriority = sourcePriorities(options.sources ?? []);
    const names = new Set<string>();
    for (const d of this.sourceDefs) {
      if (names.has(d.name))
        throw new InvalidInputError(`source "${d.name}" is declared twice`, { source: d.name });
      names.add(d.name);
    }
    this.gates = new GateControls(this.store);
    this.breakers = new BreakerControls(
      this.store,
      // the breakers of the pipelines registered by the time of the call
      () =>
        resolveBreakers(
          options.breakers,
          this.registry.names().map((n) => this.registry.require(n)),
        ),
      (change) => {
        if (change.transition) this.emit("breaker", change.transition);
        return this.node?.refreshBreakers();
      },
    );
  }

  /** Store-wide: no node starts a step until it is off; `abort` also aborts steps in flight. */
  async emergencyOn(options: {
    reason: string;
    abort?: boolean;
    actor?: string;
  }): Promise<EmergencyState> {
    const state = await setEmergencyOn(this.store, { ...options, actor: options.actor ?? "api" });
    await this.node?.refreshEmergency();
    return state;
  }

  async emergencyOff(options: { actor?: string; reason?: string } = {}): Promise<EmergencyState> {
    const state = await setEmergencyOff(this.store, { ...options, actor: options.actor ?? "api" });
    await this.node?.refreshEmergency();
    return state;
  }

  async emergencyStatus(): Promise<EmergencyState> {
    return readEmergency(this.store);
  }

  /** `audit: false`: no audit entry of its own (a bulk cancel writes one for all its runs) */
  async cancel(
    id: string,
    reason: string,
    actor = "api",
    options: { audit?: boolean } = {},
  ): Promise<RunRecord> {
    if (!reason?.trim()) throw new InvalidInputError("cancel needs a reason", { field: "reason" });
    assertRunNotEnded(await this.store.getRun(id));
    const run = await this.store.cancelRun(id, {
      reason,
      actor,
      at: Date.now(),
      ...(options.audit === false ? {} : { audit: { action: AuditAction.runCancel } }),
    });
    this.node?.abortRun(id);
    // counted here, where every cancel passes, not by the node that held the run (if any did)
    this.telemetry?.runEnded(run.pipeline, "cancelled", null);
    return run;
  }

  /**
   * An operator's retry of a quarantined, cancelled or succeeded run, with a note. Without
   * `fromStep` the run resumes after its last checkpoint; with it, that step and everything
   * downstream run again (upstream checkpoints are kept). `redoDegraded` runs again the steps a
   * fallback served, with everything downstream of them.
   */
  async retry(id: string, options: RetryOptions): Promise<RetryResult> {
    // the store's work hint wakes this instance's node
    return retryRun(this.store, this.registry, id, options, Date.now());
  }

  /** Deletes quarantined runs (or, with dryRun, lists them); needs a filter or `all: true`. */
  async purge(options: PurgeOptions): Promise<PurgeResult> {
    return purgeQuarantined(this.store, options, Date.now());
  }

  /** The operators' audit log, newest first. */
  async audit(query: Partial<AuditQuery> = {}): Promise<AuditPage> {
    return this.store.listAudit({ ...query, limit: query.limit ?? 50 });
  }

  /** Sources known to the store (a node upserts its configured ones at start), by name. */
  async listSources(): Promise<SourceRecord[]> {
    return this.store.listSources();
  }

  async getSource(name: string): Promise<SourceRecord> {
    const source = await this.store.getSource(name);
    if (!source) throw new NotFoundError("source", name);
    return source;
  }

  /** A paused source's ticks create no runs, on every node, until resumed; survives restarts. */
  async pauseSource(name: string, reason: string, actor = "api"): Promise<SourceRecord> {
    if (!reason?.trim()) throw new InvalidInputError("pause needs a reason", { field: "reason" });
    return this.store.pauseSource(name, {
      reason,
      actor,
      at: Date.now(),
      audit: { action: AuditAction.sourcePause },
    });
  }

  async resumeSource(name: string, actor = "api"): Promise<SourceRecord> {
    return this.store.resumeSource(name, {
      actor,
      at: Date.now(),
      audit: { action: AuditAction.sourceResume },
    });
  }

  /** One run of the source now (paused or not), keyed `source:<name>:manual:<id>`. */
  async triggerSource(name: string, actor = "api"): Promise<SubmittedRun> {
    const source = await this.getSource(name);
    return this.submit(source.pipeline, source.input as never, {
      idempotencyKey: `source:${name}:manual:${newRunId()}`,
      source: `source:${name}`,
      actor,
      priority: this.sourcePriority.get(name),
    });
  }
}
