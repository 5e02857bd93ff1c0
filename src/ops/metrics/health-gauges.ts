import { Counter, Gauge, type Registry, type RegistryContentType } from "prom-client";
import type { HealthLatency } from "../health/latency.js";

type Registers = Registry<RegistryContentType>[];

/** The node's health-check handling time (health/latency.ts), as /health?verbose=true reports it. */
export function registerHealthGauges(latency: HealthLatency, registers: Registers): void {
  new Gauge({
    name: "keel_health_latency_seconds",
    help: "Time this node took to answer /health and /v1/health over the last 10 minutes: p50, p95, p99",
    labelNames: ["quantile"],
    registers,
    collect() {
      this.reset();
      const s = latency.summary();
      if (!s) return;
      this.set({ quantile: "0.5" }, s.p50_ms / 1000);
      this.set({ quantile: "0.95" }, s.p95_ms / 1000);
      this.set({ quantile: "0.99" }, s.p99_ms / 1000);
    },
  });
  new Counter({
    name: "keel_health_requests_total",
    help: "Health checks (/health, /v1/health) this node answered",
    registers,
    collect() {
      this.reset();
      this.inc(latency.total);
    },
  });
}
