import { Registry, type OpenMetricsContentType, type RegistryContentType } from "prom-client";
import type { Keel } from "../../engine/keel.js";
import { ClusterGauges } from "./cluster-gauges.js";
import { NodeGauges } from "./node-gauges.js";
import { RunMetrics } from "./run-metrics.js";
import { StoreGauges } from "./store-gauges.js";

/**
 * The metrics of one Keel instance, in a Registry of their own (never prom-client's global one:
 * two Keels in one process, or a library user's own metrics, must not mix). The same metrics are
 * registered twice, once per exposition format, so a scrape in one format never switches the
 * format under a scrape in the other.
 */
export interface MetricsOptions {
  /** how long the store's gauges are reused between scrapes, ms (default 1000) */
  storeCacheMs?: number;
  clock?: () => number;
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
  const registers = [prometheus, openMetrics] as Registry<RegistryContentType>[];
  const runs = new RunMetrics(keel, registers);
  new StoreGauges(keel.store, registers, options.storeCacheMs ?? 1000, options.clock);
  const node = new NodeGauges(keel, registers);
  new ClusterGauges(keel, registers, options.storeCacheMs ?? 1000);
  const pick = (accept: string | undefined) =>
    accept?.includes("application/openmetrics-text") ? openMetrics : prometheus;
  return {
    contentType: (accept) => pick(accept).contentType,
    scrape: (accept) => pick(accept).metrics(),
    close() {
      runs.close();
      node.close();
    },
  };
}
