import type {
  TelemetryDeleteOptions,
  TelemetryDeleteResult,
  TelemetryIncrement,
  TelemetryQuery,
  TelemetryRecord,
} from "./telemetry.js";

/** Counters rolled up by minute, written by every node, read by the CLI and the console. */
export interface TelemetryStore {
  /** adds to the per-minute rollups (counts and totals add up, histograms merge), in one write */
  addTelemetry(increments: readonly TelemetryIncrement[]): Promise<void>;
  /** rollup rows of the range, oldest minute first */
  readTelemetry(query: TelemetryQuery): Promise<TelemetryRecord[]>;
  /** deletes the rows of minutes that start before `before` (epoch ms); with `audit`, audited */
  deleteTelemetryBefore(
    before: number,
    options?: TelemetryDeleteOptions,
  ): Promise<TelemetryDeleteResult>;
}
