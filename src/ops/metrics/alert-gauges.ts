import { Counter, type Registry, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import { alertsOf } from "../alerts/service.js";
import { resolveRules } from "../alerts/rules.js";
import { ReusedRead } from "./reused-read.js";

type Registers = Registry<RegistryContentType>[];

interface Figures {
  rules: { id: string; severity: string }[];
  firing: Set<string>;
  depth: number;
}

/**
 * The alerts' metrics: which rules fire and the outbox's depth (the store's, for the whole
 * cluster), and the deliveries this node made by receiver and outcome (delivered, failed: one
 * failed attempt, dropped). The store's part is read at scrape time and reused (`ReusedRead`), by
 * the gauges of both formats.
 */
export class AlertGauges {
  private readonly figures: ReusedRead<Figures>;

  constructor(
    private readonly keel: Keel,
    cacheMs: number,
    clock: () => number = Date.now,
  ) {
    this.figures = new ReusedRead(() => this.load(), cacheMs, clock);
  }

  /** the metrics, in these registries; every set registered reads the same figures */
  register(registers: Registers): void {
    const gauge = this.figures.gaugesIn(registers);
    gauge(
      "keel_alerts_firing",
      "1 for each alert rule firing now, 0 for the others (docs/alerts.md)",
      ["rule", "severity"],
      (g, f) => {
        for (const rule of f.rules)
          g.set({ rule: rule.id, severity: rule.severity }, f.firing.has(rule.id) ? 1 : 0);
      },
    );
    gauge(
      "keel_alert_outbox_depth",
      "Alert deliveries queued in the outbox, every receiver's",
      [],
      (g, f) => g.set(f.depth),
    );
    const keel = this.keel;
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
