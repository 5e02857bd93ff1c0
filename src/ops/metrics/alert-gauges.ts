import { Counter, Gauge, type Registry, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import { alertsOf } from "../alerts/service.js";
import { resolveRules } from "../alerts/rules.js";

type Registers = Registry<RegistryContentType>[];

/**
 * The alerts' metrics: which rules fire and the outbox's depth (the store's, for the whole
 * cluster), and the deliveries this node made by receiver and outcome (delivered, failed: one
 * failed attempt, dropped). Read at scrape time, each store read reused for `cacheMs`.
 */
export class AlertGauges {
  private cached: { at: number; read: Promise<Figures> } | undefined;

  constructor(
    private readonly keel: Keel,
    registers: Registers,
    private readonly cacheMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- collect() gets the metric as this
    const self = this;
    new Gauge({
      name: "keel_alerts_firing",
      help: "1 for each alert rule firing now, 0 for the others (docs/alerts.md)",
      labelNames: ["rule", "severity"],
      registers,
      async collect() {
        const f = await self.read();
        this.reset();
        for (const rule of f.rules)
          this.set({ rule: rule.id, severity: rule.severity }, f.firing.has(rule.id) ? 1 : 0);
      },
    });
    new Gauge({
      name: "keel_alert_outbox_depth",
      help: "Alert deliveries queued in the outbox, every receiver's",
      registers,
      async collect() {
        this.set((await self.read()).depth);
      },
    });
    new Counter({
      name: "keel_alert_deliveries_total",
      help: "Alert delivery attempts by this node, by receiver and outcome (delivered, failed, dropped)",
      labelNames: ["receiver", "outcome"],
      registers,
      collect() {
        this.reset();
        for (const [key, n] of alertsOf(keel)?.deliveryCounts ?? []) {
          const [receiver = "", outcome = ""] = key.split("\u0000");
          this.inc({ receiver, outcome }, n);
        }
      },
    });
  }

  private read(): Promise<Figures> {
    const now = this.clock();
    if (!this.cached || now - this.cached.at >= this.cacheMs) {
      const read = this.load();
      this.cached = { at: now, read };
      read.catch(() => (this.cached = undefined));
    }
    return this.cached.read;
  }

  private async load(): Promise<Figures> {
    const states = await this.keel.store.listAlertStates();
    const queues = await this.keel.store.alertQueues();
    return {
      rules: alertsOf(this.keel)?.settings.rules ?? resolveRules({ rules: {} }),
      firing: new Set(states.filter((s) => s.state === "firing").map((s) => s.rule)),
      depth: queues.reduce((n, q) => n + q.queued, 0),
    };
  }
}

interface Figures {
  rules: { id: string; severity: string }[];
  firing: Set<string>;
  depth: number;
}
