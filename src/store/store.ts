import type { AlertStore } from "./alert-store.js";
import type { BreakerStore } from "./breaker-store.js";
import type { ClusterStore } from "./cluster-store.js";
import type { GateStore } from "./gate-store.js";
import type { GoldenStore } from "./golden-store.js";
import type { LeaseStore } from "./lease-store.js";
import type { MaintenanceStore } from "./maintenance-store.js";
import type { OperatorStore } from "./operator-store.js";
import type { ProgressStore } from "./progress-store.js";
import type { RetentionStore } from "./retention-store.js";
import type { RunStore } from "./run-store.js";
import type { ShadowStore } from "./shadow-store.js";
import type { SourceStore } from "./source-store.js";
import type { TelemetryStore } from "./telemetry-store.js";

export type {
  NewRun,
  RunPage,
  RunQuery,
  SubmitResult,
  TransitionFeedQuery,
  WaitingCounts,
} from "./run-store.js";
export type {
  Checkpoint,
  ClaimRequest,
  ClaimedRun,
  HeldRun,
  NewNode,
  StepFailure,
  StepStart,
} from "./lease-store.js";
export type { OperatorChange, ReasonedChange, SettingChange } from "./operator-change.js";
export type {
  ClusterView,
  JoinTokenRecord,
  NewJoinToken,
  NodeBeat,
  PlacedWaiting,
} from "./cluster-store.js";
export type {
  AlertStore,
  BreakerStore,
  ClusterStore,
  GateStore,
  GoldenStore,
  LeaseStore,
  MaintenanceStore,
  OperatorStore,
  ProgressStore,
  RetentionStore,
  RunStore,
  ShadowStore,
  SourceStore,
  TelemetryStore,
};
export type { ProgressQuery, StepProgress } from "./progress.js";

/**
 * The store, in domain words, composed of its roles (one file each): runs, leases, operator
 * changes, sources, breakers, telemetry, step progress, maintenance, alerts. Every state change writes its transition in
 * changes, sources, breakers, telemetry, maintenance, retention. Every state change writes its transition in
 * the same transaction. No connection, transaction or SQL type crosses this interface: a backend
 * is a folder under src/store/ that implements it (sqlite/ today), chosen in open-store.ts.
 */
export interface Store
  extends
    RunStore,
    LeaseStore,
    OperatorStore,
    SourceStore,
    BreakerStore,
    TelemetryStore,
    ProgressStore,
    MaintenanceStore,
    AlertStore,
    ClusterStore,
    GoldenStore,
    GateStore,
    ShadowStore,
    RetentionStore {
  readonly backend: "sqlite" | "postgres";
  /**
   * Set when the schema is ahead of this code by non-breaking migrations only (a newer node
   * upgraded the store): this node may keep running and logs it at start. A breaking one is
   * refused at open instead (store_too_new).
   */
  readonly schemaWarning: string | null;
  close(): Promise<void>;
  /** a hint that work may be waiting; the caller still polls as a safety net */
  onWork(listener: () => void): () => void;
}
