/**
 * Every code keel itself gives an error: the CLI, the API (api/errors.ts maps each one to a status,
 * checked by the compiler) and the store speak these. A step's PermanentError or TransientError
 * may carry a code of its own (`parse_error`); those name the step's failure class, not keel's.
 */
export const KeelErrorCode = {
  // caller's input
  invalidInput: "invalid_input",
  invalidPipeline: "invalid_pipeline",
  unknownPipeline: "unknown_pipeline",
  invalidConfig: "invalid_config",
  notFound: "not_found",
  illegalTransition: "illegal_transition",
  notQuarantined: "not_quarantined",
  waitTimeout: "wait_timeout",
  noAlertReceiver: "no_alert_receiver",
  goldenExists: "golden_exists",
  /** a decision on an approval gate the run is not waiting at (never opened, decided, moved on) */
  gateNotOpen: "gate_not_open",
  /** a run that cannot be replayed here: its pipeline is unknown or its module cannot be loaded */
  replayUnavailable: "replay_unavailable",
  /** `keel shadow start` on a pipeline that already has an active shadow */
  shadowActive: "shadow_active",
  // HTTP
  badRequest: "bad_request",
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  methodNotAllowed: "method_not_allowed",
  requestTimeout: "request_timeout",
  payloadTooLarge: "payload_too_large",
  uriTooLong: "uri_too_long",
  unsupportedMediaType: "unsupported_media_type",
  tooManyRequests: "too_many_requests",
  headersTooLarge: "headers_too_large",
  internal: "internal",
  // a run's steps
  permanent: "permanent",
  transient: "transient",
  badOutput: "bad_output",
  timeout: "timeout",
  cancelled: "cancelled",
  leaseLost: "lease_lost",
  breakerOpen: "breaker_open",
  workerCrashed: "worker_crashed",
  workerStartFailed: "worker_start_failed",
  nonErrorThrown: "non_error_thrown",
  // the node
  alreadyStarted: "already_started",
  nodeStopping: "node_stopping",
  nodeRunning: "node_running",
  portInUse: "port_in_use",
  apiError: "api_error",
  apiUnreachable: "api_unreachable",
  nodeUnresponsive: "node_unresponsive",
  nodeNotRunning: "node_not_running",
  // the cluster
  joinRefused: "join_refused",
  nodeOnline: "node_online",
  // the store
  storeError: "store_error",
  storeMissing: "store_missing",
  storeBusy: "store_busy",
  storeCorrupt: "store_corrupt",
  storeFull: "store_full",
  storeTooNew: "store_too_new",
  storeUnavailable: "store_unavailable",
  unsupportedStore: "unsupported_store",
  migrationChanged: "migration_changed",
  migrationsInvalid: "migrations_invalid",
  migrationsMissing: "migrations_missing",
  backupInvalid: "backup_invalid",
  /** `keel db copy`: the target already holds a store (runs, audit, tokens...) */
  storeNotEmpty: "store_not_empty",
  /** `keel db copy`: the copy's counts or hashes differ from the source's; nothing was kept */
  copyMismatch: "copy_mismatch",
  /** a tool keel runs (pg_dump, pg_restore) is not on PATH; the message has the command */
  toolMissing: "tool_missing",
} as const;
export type KeelErrorCode = (typeof KeelErrorCode)[keyof typeof KeelErrorCode];
