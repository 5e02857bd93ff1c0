import type { Pipeline } from "../core/pipeline.js";
import type { StoreDurability } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import type { BreakerOptions } from "./breaker-options.js";
import type { Logger } from "./logger.js";
import type { NodeOptions } from "./options.js";
import type { SourceSpec } from "./sources.js";
import type { TelemetryOptions } from "./telemetry-recorder.js";

/** What keel() and new Keel() take: the store, the pipelines and sources, and the node's options. */
export interface KeelOptions extends NodeOptions {
  /** data folder; default $KEEL_HOME or ~/.keel */
  home?: string;
  /** a store to use instead of opening one (it is not closed by stop()) */
  store?: Store;
  durability?: StoreDurability;
  pipelines?: Pipeline[];
  /** producers of runs (cron, interval, manual); a started node ticks them */
  sources?: SourceSpec[];
  /** circuit breakers by dependency name (steps name them in `uses`); defaults for the rest */
  breakers?: Record<string, BreakerOptions>;
  logger?: Logger;
  /** per-minute rollups in the store (flush interval, retention); false records nothing */
  telemetry?: TelemetryOptions | false;
}
