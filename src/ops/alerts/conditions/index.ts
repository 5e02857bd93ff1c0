import type { AlertRuleId } from "../rule-defaults.js";
import type { Condition } from "./condition.js";
import { capabilityUnserved, heartbeatLate, noNodeOnline } from "./cluster.js";
import {
  breakerOpen,
  diskPaused,
  diskWarn,
  emergencyStop,
  storeDamaged,
  webhookFailing,
} from "./guards.js";
import { gateWait, oldestDueAge, queueBacklog, runStuck } from "./queue.js";
import { quarantineGrowth, stepErrorRate, stepP99, throughputFloor } from "./telemetry.js";

export { AlertFigures, type CapabilityDemandReader, type Finding } from "./condition.js";

/** each rule's condition (docs/alerts.md says what each one reads) */
export const conditions: Record<AlertRuleId, Condition> = {
  queue_backlog: queueBacklog,
  oldest_due_age: oldestDueAge,
  quarantine_growth: quarantineGrowth,
  step_error_rate: stepErrorRate,
  step_p99_slo: stepP99,
  run_stuck: runStuck,
  breaker_open: breakerOpen,
  emergency_stop: emergencyStop,
  disk_warn: diskWarn,
  disk_paused: diskPaused,
  no_node_online: noNodeOnline,
  capability_unserved: capabilityUnserved,
  heartbeat_late: heartbeatLate,
  throughput_floor: throughputFloor,
  webhook_failing: webhookFailing,
  store_damaged: storeDamaged,
  gate_wait: gateWait,
};
