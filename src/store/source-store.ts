import type { OperatorChange, ReasonedChange } from "./operator-change.js";
import type { SourceDefinition, SourceRecord } from "./sources.js";

/** Producers of runs: their definitions, pause state and ticks, shared by every node. */
export interface SourceStore {
  /** inserts or updates source definitions; never touches their pause state */
  upsertSources(defs: SourceDefinition[], now: number): Promise<void>;
  listSources(): Promise<SourceRecord[]>;
  getSource(name: string): Promise<SourceRecord | undefined>;
  /** paused sources create no runs */
  pauseSource(name: string, change: ReasonedChange): Promise<SourceRecord>;
  resumeSource(name: string, change: OperatorChange): Promise<SourceRecord>;
  /** notes a tick (last_tick_at only moves forward; null: no tick, only the next one) and the next */
  recordTick(name: string, tickAt: number | null, nextAt: number | null): Promise<void>;
}
