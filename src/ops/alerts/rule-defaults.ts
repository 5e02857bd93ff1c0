/**
 * The rules keel evaluates itself, with the defaults every install ships (docs/alerts.md lists
 * them with what to do). `threshold` is in the unit each rule names; `forMs` is how long the
 * condition must hold before the rule fires; `windowMs` is the span a rate or percentile is read
 * over. Thresholds come from the reference runbooks where they give one.
 */
export const alertRuleIds = [
  "queue_backlog",
  "oldest_due_age",
  "quarantine_growth",
  "step_error_rate",
  "step_p99_slo",
  "run_stuck",
  "breaker_open",
  "emergency_stop",
  "disk_warn",
  "disk_paused",
  "no_node_online",
  "capability_unserved",
  "heartbeat_late",
  "throughput_floor",
  "webhook_failing",
  "store_damaged",
  "gate_wait",
] as const;
export type AlertRuleId = (typeof alertRuleIds)[number];

export function isAlertRuleId(name: string): name is AlertRuleId {
  return (alertRuleIds as readonly string[]).includes(name);
}

export const AlertSeverity = { critical: "critical", warning: "warning", info: "info" } as const;
export type AlertSeverity = (typeof AlertSeverity)[keyof typeof AlertSeverity];
export const alertSeverities = Object.values(AlertSeverity) as [AlertSeverity, ...AlertSeverity[]];

export interface RuleDefault {
  threshold: number;
  /** what the threshold counts, for messages and docs */
  unit: string;
  forMs: number;
  windowMs: number;
  severity: AlertSeverity;
  description: string;
}

const s = 1000;
const m = 60 * s;

export const ruleDefaults: Record<AlertRuleId, RuleDefault> = {
  queue_backlog: {
    threshold: 1000,
    unit: "pending runs (of one pipeline)",
    forMs: 5 * m,
    windowMs: 0,
    severity: "warning",
    description: "more runs pending in one pipeline than the threshold",
  },
  oldest_due_age: {
    threshold: 300,
    unit: "seconds",
    forMs: 1 * m,
    windowMs: 0,
    severity: "warning",
    description: "the oldest due run of a pipeline has waited longer than the threshold",
  },
  quarantine_growth: {
    threshold: 10,
    unit: "runs quarantined within the window",
    forMs: 0,
    windowMs: 10 * m,
    severity: "warning",
    description: "more runs quarantined within the window than the threshold",
  },
  step_error_rate: {
    threshold: 0.2,
    unit: "failed attempts / attempts (of one step, at least 20 attempts)",
    forMs: 5 * m,
    windowMs: 5 * m,
    severity: "warning",
    description: "a step's attempts fail more often than the threshold",
  },
  step_p99_slo: {
    threshold: 30_000,
    unit: "ms (p99 of a step's successful attempts)",
    forMs: 5 * m,
    windowMs: 5 * m,
    severity: "warning",
    description: "a step's p99 latency is above the SLO",
  },
  run_stuck: {
    threshold: 3600,
    unit: "seconds running",
    forMs: 0,
    windowMs: 0,
    severity: "warning",
    description: "a run has been running longer than the threshold",
  },
  breaker_open: {
    threshold: 300,
    unit: "seconds open",
    forMs: 0,
    windowMs: 0,
    severity: "warning",
    description: "a breaker has stayed open (or half-open) longer than the threshold",
  },
  emergency_stop: {
    threshold: 0,
    unit: "(on or off)",
    forMs: 0,
    windowMs: 0,
    severity: "critical",
    description: "the emergency stop is on: no node starts a step",
  },
  disk_warn: {
    threshold: 0,
    unit: "(the disk guard's warn state)",
    forMs: 0,
    windowMs: 0,
    severity: "warning",
    description: "the data folder's disk is past disk.warn_percent",
  },
  disk_paused: {
    threshold: 0,
    unit: "(the disk guard's paused state)",
    forMs: 0,
    windowMs: 0,
    severity: "critical",
    description: "the data folder's disk is past disk.pause_percent: claiming is paused",
  },
  no_node_online: {
    threshold: 0,
    unit: "(nodes that may claim)",
    forMs: 1 * m,
    windowMs: 0,
    severity: "critical",
    description: "no node is active with a fresh heartbeat: nothing claims work",
  },
  capability_unserved: {
    threshold: 0,
    unit: "(runs waiting for a capability)",
    forMs: 2 * m,
    windowMs: 0,
    severity: "critical",
    description: "runs wait for a capability that no live node advertises",
  },
  heartbeat_late: {
    threshold: 30,
    unit: "seconds since a node's heartbeat",
    forMs: 0,
    windowMs: 0,
    severity: "warning",
    description: "a node not marked offline has not sent a heartbeat for longer than the threshold",
  },
  throughput_floor: {
    threshold: 5_000_000,
    unit: "bytes per second while runs were in flight",
    forMs: 5 * m,
    windowMs: 5 * m,
    severity: "warning",
    description: "a pipeline processed fewer bytes per second of work in flight than the floor",
  },
  webhook_failing: {
    threshold: 3,
    unit: "failed attempts of a receiver's oldest delivery",
    forMs: 0,
    windowMs: 0,
    severity: "warning",
    description: "a receiver's oldest queued delivery has failed that many times",
  },
  store_damaged: {
    threshold: 0,
    unit: "(the store watch's state)",
    forMs: 0,
    windowMs: 0,
    severity: "critical",
    description: "the store check found damage: writes are fenced until a repair or a restore",
  },
  gate_wait: {
    // the reference runbook's human wait: warning at 24 h (its critical, 48 h, is the gates' default timeout)
    threshold: 86_400,
    unit: "seconds a run has waited at an approval gate",
    forMs: 0,
    windowMs: 0,
    severity: "warning",
    description: "a run has waited at an approval gate for a person longer than the threshold",
  },
};
