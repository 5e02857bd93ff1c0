import type { Keel } from "../../engine/keel.js";
import type { AlertsConfig } from "./alert-config.js";
import { AlertFigures, type CapabilityDemandReader } from "./conditions/index.js";
import { evaluateRules } from "./evaluator.js";
import { OutboxSender, type DeliveryCounts } from "./outbox.js";
import { resolveReceivers, type Receiver } from "./receivers.js";
import { resolveRules, type ResolvedRule } from "./rules.js";

/**
 * A Keel's alerts: its rules and receivers (from keel.yaml), and once its node runs, the loop that
 * competes for the evaluator's lease. Every `drain_ms` each node looks at the lease; the holder
 * renews it, drains the outbox and, every `interval_ms`, evaluates the rules. A holder that dies
 * stops renewing: the first node to look after `lease_ms` takes over, with the outbox as the dead
 * node left it. A node that stops hands the lease back, so another takes over at its next look.
 */
export interface AlertSettings {
  config: AlertsConfig;
  rules: ResolvedRule[];
  receivers: Receiver[];
}

export interface AlertServiceOptions {
  /** a node without a heartbeat for this long is not online (node.lease_ms) */
  nodeOfflineMs: number;
  /** what runs wait for that no live node offers (capability_unserved reads it) */
  capabilities?: CapabilityDemandReader;
  clock?: () => number;
}

const attached = new WeakMap<Keel, AlertRuntime>();
const pruneEveryMs = 3_600_000;

/** the alerts of a Keel, when its session attached them (the CLI and `keel start` do) */
export function alertsOf(keel: Keel): AlertRuntime | undefined {
  return attached.get(keel);
}

/** resolves keel.yaml's `alerts:` (secrets read) and attaches it to the Keel; nothing runs yet */
export function attachAlerts(
  keel: Keel,
  config: AlertsConfig,
  configFile: string | null,
  options: { requireSecrets: boolean; env?: NodeJS.ProcessEnv },
): AlertRuntime {
  const runtime = new AlertRuntime(keel, {
    config,
    rules: resolveRules(config),
    receivers: resolveReceivers(config, configFile, options.env, options.requireSecrets),
  });
  attached.set(keel, runtime);
  return runtime;
}

export class AlertRuntime {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private sender: OutboxSender | undefined;
  private holder = false;
  private lastEvaluation = 0;
  private lastPrune = 0;
  private options: AlertServiceOptions | undefined;
  /** when this node last evaluated the rules (epoch ms), or null */
  lastEvaluatedAt: number | null = null;

  constructor(
    readonly keel: Keel,
    readonly settings: AlertSettings,
  ) {}

  /** whether this node holds the evaluator's lease now */
  get isEvaluator(): boolean {
    return this.holder;
  }

  /** deliveries by receiver and outcome made by this node since it started */
  get deliveryCounts(): DeliveryCounts {
    return this.sender?.counts ?? new Map();
  }

  /** starts competing for the lease; the node must have started */
  start(options: AlertServiceOptions): void {
    if (this.timer || !this.settings.config.enabled) return;
    this.options = options;
    const { delivery } = this.settings.config;
    this.sender = new OutboxSender(
      this.keel.store,
      this.settings.receivers,
      {
        baseDelayMs: delivery.base_delay_ms,
        maxDelayMs: delivery.max_delay_ms,
        dropAfterMs: delivery.drop_after_ms,
        clock: options.clock,
      },
      this.keel.log,
    );
    this.timer = setInterval(() => void this.tick(), delivery.drain_ms);
    this.timer.unref();
    void this.tick();
  }

  /** one look at the lease, then (as the evaluator) a drain and, when due, an evaluation */
  tick(): Promise<void> {
    this.ticking ??= this.look()
      .catch((error: unknown) =>
        this.keel.log.warn({ err: error }, "alerts: evaluator tick failed"),
      )
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async look(): Promise<void> {
    const nodeId = this.keel.snapshot()?.nodeId;
    if (!nodeId || !this.timer) return;
    const clock = this.options?.clock ?? Date.now;
    const store = this.keel.store;
    const { config } = this.settings;
    const current = await store.getAlertLease();
    // renewals by the holder, and tries once the lease ran out; no write while another holds it
    if (current && current.holder !== nodeId && current.expiresAt > clock()) {
      this.setHolder(false, current.holder);
      return;
    }
    const renewedAt = clock();
    const lease = await store.acquireAlertLease(nodeId, renewedAt, config.lease_ms);
    this.setHolder(lease.holder === nodeId, lease.holder);
    if (!this.holder) return;
    // a long drain stops at half the lease: the next look renews it before another node may take it
    await this.sender?.drain(
      () => this.holder && this.timer !== undefined && clock() - renewedAt < config.lease_ms / 2,
    );
    if (clock() - this.lastEvaluation >= config.interval_ms) await this.evaluate();
    if (clock() - this.lastPrune >= pruneEveryMs) {
      this.lastPrune = clock();
      // finished deliveries are kept as long as a queued one may wait, for `alerts show` and audits
      await store.pruneAlertOutbox(this.lastPrune - config.delivery.drop_after_ms);
    }
  }

  /** evaluates every rule once, now (the evaluator's cycle; tests call it directly) */
  async evaluate(now: number = (this.options?.clock ?? Date.now)()): Promise<number> {
    this.lastEvaluation = now;
    const figures = new AlertFigures(
      this.keel.store,
      now,
      this.keel.snapshot(),
      this.options?.nodeOfflineMs ?? 5000,
      this.options?.capabilities,
    );
    const changes = await evaluateRules(
      this.keel.store,
      this.settings.rules,
      this.settings.receivers,
      figures,
      this.keel.log,
    );
    this.lastEvaluatedAt = now;
    // a change queued deliveries: send them now rather than at the next drain
    if (changes > 0) await this.sender?.drain(() => this.holder);
    return changes;
  }

  private setHolder(holder: boolean, who: string): void {
    if (holder !== this.holder)
      this.keel.log.info(
        { evaluator: who },
        holder
          ? "alerts: this node evaluates the rules now"
          : "alerts: another node evaluates the rules",
      );
    this.holder = holder;
  }

  /** stops the loop and hands the lease back */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const nodeId = this.keel.snapshot()?.nodeId;
    if (this.holder && nodeId)
      await this.keel.store.releaseAlertLease(nodeId).catch(() => undefined);
    this.holder = false;
  }
}
