// The public library API: define pipelines with step() and pipeline(), run them with keel().
export { step, pipeline, isPipeline } from "./core/pipeline.js";
export { qualityGate, GateFailedError, type GateVerdict } from "./core/gates.js";
export { approvalGate, type ApprovalGateOptions } from "./core/approval-gate.js";
export type { GateApproval, GateTimeoutPolicy } from "./core/approval-policy.js";
export type {
  Pipeline,
  PipelineInput,
  PipelineOutput,
  StepDef,
  StepOptions,
  PipelineOptions,
  FallbackFn,
  Isolation,
} from "./core/pipeline.js";
export type { ProgressReport, StepContext, StepLogger } from "./core/step-context.js";
export type { StandardSchemaV1 } from "./core/standard-schema.js";
export type { InputIssue } from "./core/errors/input-schema-error.js";
export type { RetryPolicy } from "./core/retry.js";
export { RunStatus, StepStatus } from "./core/status.js";
export {
  KeelError,
  PermanentError,
  TransientError,
  coerceError,
  classifyError,
  BreakerOpenError,
  KeelErrorCode,
  isKeelError,
  isPermanentError,
  isTransientError,
  InputSchemaError,
  isInputSchemaError,
} from "./core/errors/index.js";
export { BreakerState } from "./core/breaker.js";
export type { BreakerOptions } from "./engine/breaker-options.js";
export type { BreakerControls, BreakerView } from "./engine/breaker-actions.js";
export type { BreakerChange, BreakerRecord, BreakerTransitionRecord } from "./store/breakers.js";
export { keel, Keel } from "./engine/keel.js";
export type { EmergencyState } from "./engine/emergency.js";
export type { WorkerProcess } from "./engine/isolation/pool.js";
export type { NodeSnapshot } from "./engine/node-snapshot.js";
export type {
  KeelOptions,
  SubmittedRun,
  RunDetails,
  RunId,
  RunRef,
  TypedRun,
} from "./engine/keel.js";
export type { SubmitOptions } from "./engine/submit-options.js";
export type { TelemetryOptions } from "./engine/telemetry-recorder.js";
export type { SourceSpec } from "./engine/sources.js";
export type { SourceRecord, SourceKind } from "./store/sources.js";
export type { RetryOptions, PurgeOptions } from "./engine/operator-actions.js";
export type { RetryResult, PurgeResult } from "./store/operator-requests.js";
export type { AuditRecord, AuditPage, AuditQuery } from "./store/audit.js";
export type { RunRecord, StepResultRecord, TransitionRecord } from "./store/records.js";
export type { OperatorChange, ReasonedChange, SettingChange, Store } from "./store/store.js";
export type { StorageFinding, StorageRepair, StorageReport } from "./store/storage.js";
export type { StoreRepairRecord, StoreWatchState } from "./engine/store-watch.js";
