/** The shapes the console reads from the API (src/api/wire/ holds their schemas). */
export interface RunJson {
  id: string;
  pipeline: string;
  pipeline_version: string;
  status: string;
  priority: number;
  attempts: number;
  step_attempts: Record<string, number>;
  source: string;
  idempotency_key: string | null;
  trace_id: string;
  quarantine_reason: string | null;
  error: { code?: string; message?: string; step?: string } | null;
  input: unknown;
  output: unknown;
  elided: string[];
  node_id: string | null;
  scheduled_for: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string | null;
  terminal: boolean;
}

export interface StepJson {
  step: string;
  attempt: number;
  output: unknown;
  output_hash: string;
  node_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number;
  degraded: boolean;
}

export interface TransitionJson {
  id: number;
  run_id: string;
  step: string | null;
  from: string | null;
  to: string;
  reason: string;
  actor: string;
  at: string | null;
  trace_id: string | null;
  details: unknown;
}

export interface ProgressJson {
  step: string;
  attempt: number;
  done: number | null;
  total: number | null;
  message: string | null;
  updated_at: string | null;
}

export interface RunningStepJson {
  step: string;
  attempt: number;
  started_at: string | null;
  elapsed_ms: number;
  progress: ProgressJson | null;
}

export interface RunDetailsJson extends RunJson {
  steps: StepJson[];
  transitions: TransitionJson[];
  running_steps: RunningStepJson[];
  progress: ProgressJson[];
}

export interface NodeJson {
  id: string;
  host: string;
  status: "online" | "draining" | "offline" | "gone";
  capabilities: string[];
  heartbeat_age_ms: number;
  late: boolean;
  blocked: string | null;
}

export interface AlertJson {
  rule: string;
  severity: string;
  state: "inactive" | "pending" | "firing" | "resolved";
  since: string | null;
  summary: string | null;
  silence: { until: string | null; reason: string } | null;
}

export interface RunPage {
  runs: RunJson[];
  next_cursor: string | null;
}

export interface PipelineJson {
  name: string;
  version: string;
  registered_at: string;
  steps: { name: string; after: string[] }[];
}

export interface HealthComponent {
  component: string;
  status: "healthy" | "degraded" | "unhealthy";
  reason: string;
}

export interface HealthJson {
  status: "healthy" | "degraded" | "unhealthy";
  checked_at: string;
  components: HealthComponent[];
}

export interface StatusJson {
  node: { running: boolean; pid: number | null; node_id: string | null; uptime_ms: number | null };
  nodes: {
    id: string;
    host: string;
    pid: number;
    state: string;
    heartbeat_at: string | null;
    heartbeat_age_ms: number;
    version?: string;
    capabilities?: string[];
  }[];
  runs: Record<string, number>;
  pipelines: { name: string; version: string; steps: number }[];
  oldest_pending?: { due_at: string | null; age_ms: number } | null;
  workers?: { busy: number; limit: number };
}

export interface EmergencyJson {
  on: boolean;
  reason: string | null;
  abort: boolean;
  actor: string | null;
  at: string | null;
}

export interface BreakerJson {
  name: string;
  state: string;
  manual: boolean;
  reason: string | null;
  failures: number;
  failure_threshold: number;
  opened_at: string | null;
  next_attempt_at: string | null;
  updated_at: string | null;
  updated_by: string | null;
  history: { at: string | null; from: string; to: string; reason: string | null; actor?: string }[];
}

export interface SourceJson {
  name: string;
  [key: string]: unknown;
}

export interface AuditEntry {
  id: number;
  at: string | null;
  actor: string;
  action: string;
  target: string | null;
  reason: string | null;
  details: unknown;
}

export interface TokenJson {
  id: string;
  name: string;
  role: string;
  created_at: string | null;
  created_by: string;
  last_used_at: string | null;
  revoked: boolean;
  revoked_at: string | null;
  revoked_by: string | null;
}
