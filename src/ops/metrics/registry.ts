import { Registry, type OpenMetricsContentType, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import type { HealthLatency } from "../health/latency.js";
import { EngineMetrics } from "./engine-metrics.js";
import { registerHealthGauges } from "./health-gauges.js";
import { ClusterGauges } from "./cluster-gauges.js";
import { NodeGauges } from "./node-gauges.js";
import { RunMetrics } from "./run-metrics.js";
import { StoreGauges } from "./store-gauges.js";
import { AlertGauges } from "./alert-gauges.js";

/**
 * The metrics of one Keel instance, in a Registry of their own (never prom-client's global one:
 * two Keels in one process, or a library user's own metrics, must not mix). There is one registry
 * per exposition format, so a scrape in one format never switches the format under a scrape in
 * the other.
 */
export interface MetricsOptions {
  /** how long the store's gauges are reused between scrapes, ms (default 1000) */
  storeCacheMs?: number;
  clock?: () => number;
  /** the API's health-check handling times, reported as keel_health_latency_seconds */
  healthLatency?: HealthLatency;
}

export interface KeelMetrics {
  /** the format a request's Accept header asks for: OpenMetrics when it names it */
  contentType(accept: string | undefined): string;
  scrape(accept: string | undefined): Promise<string>;
  /** detaches from the Keel's events and stops the event-loop monitor */
  close(): void;
}

export function createMetrics(keel: Keel, options: MetricsOptions = {}): KeelMetrics {
  const prometheus = new Registry();
  const openMetrics = new Registry<OpenMetricsContentType>();
  openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const cacheMs = options.storeCacheMs ?? 1000;
  // the store's figures are read once for both formats
  const store = new StoreGauges(keel.store, cacheMs, options.clock);
  const alerts = new AlertGauges(keel, cacheMs, options.clock);
  const cluster = new ClusterGauges(keel, cacheMs, options.clock);
  // one set of metric objects per registry: prom-client renames a counter in place when an
  // OpenMetrics registry formats it (no `_total`), which a shared object would carry into the
  // text format's next scrape
  const sets = [prometheus, openMetrics].map((registry) => {
    const registers = [registry] as Registry<RegistryContentType>[];
    store.register(registers);
    if (options.healthLatency) registerHealthGauges(options.healthLatency, registers);
    alerts.register(registers);
    cluster.register(registers);
    return [
      new RunMetrics(keel, registers),
      new NodeGauges(keel, registers),
      new EngineMetrics(keel, registers),
    ];
  });
  const pick = (accept: string | undefined) =>
    accept?.includes("application/openmetrics-text") ? openMetrics : prometheus;
  return {
    contentType: (accept) => pick(accept).contentType,
    scrape: (accept) => pick(accept).metrics(),
    close() {
      for (const set of sets) for (const metrics of set) metrics.close();
    },
  };
}
