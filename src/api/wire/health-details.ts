import * as z from "zod";

/**
 * The schemas of each health component's `details` (docs/cli.md#keel-health). A component that
 * could not read the store has `{}`; each field is there only when the check knows it.
 */
export function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

const n = z.number();
const ms = z.number().nullable();
const finding = z.strictObject({
  damage: z.string(),
  object: z.string().nullable(),
  message: z.string(),
});

const store = z.strictObject({
  file: z.string(),
  bytes: n.nullable(),
  runs: n,
  ms: n,
  state: z.enum(["ok", "checking", "repairing", "damaged"]),
  since: n,
  checked_at: ms,
  check_level: z.enum(["quick", "full"]).nullable(),
  check_ms: ms,
  interval_ms: n,
  findings: z.array(finding),
  last_repair: z
    .strictObject({ at: n, findings: z.array(finding), actions: z.array(z.string()), ms: n })
    .nullable(),
  advice: z.array(z.string()),
});

const node = z.strictObject({
  pid: n.nullable(),
  node_id: z.string(),
  state: z.string(),
  heartbeat_age_ms: n,
  dead_nodes: z.array(
    z.strictObject({
      node_id: z.string(),
      host: z.string(),
      pid: n,
      cause: z.enum(["process_gone", "pid_reused", "silent"]),
      declared_at: n,
      last_heartbeat_at: n,
      runs_returned: n,
    }),
  ),
});

const queue = z.strictObject({ oldest_due_at: ms, waiting_ms: n, max_wait_ms: n });

const disk = z.strictObject({
  path: z.string(),
  total_bytes: n,
  free_bytes: n,
  used_percent: n,
  used_ratio: n,
  inodes_percent: ms,
  warn_percent: n,
  pause_percent: n,
  state: z.enum(["ok", "warn", "paused"]),
  since: n,
  checked_at: ms,
  last_cleanup: z
    .strictObject({
      at: n,
      state: z.enum(["warn", "paused"]),
      ms: n,
      tasks: z.array(
        z.strictObject({
          name: z.string(),
          removed: n,
          bytes: ms,
          error: z.string().nullable(),
        }),
      ),
    })
    .nullable(),
});

const breakers = z.strictObject({
  breakers: n,
  open: z.array(
    z.strictObject({
      name: z.string(),
      state: z.string(),
      manual: z.boolean(),
      reason: z.string().nullable(),
      opened_at: ms,
      answered: z.boolean().optional(),
    }),
  ),
});

const workers = z.strictObject({
  pid: n,
  limit: n,
  min: n,
  max: n,
  adaptive: z.boolean(),
  busy: ms,
  claimed_ahead: ms,
  pressure: z.boolean(),
  pressure_reason: z.string().nullable(),
  deferring: z.boolean(),
  processes: n,
  recent_deaths: z.array(
    z.strictObject({
      pid: ms,
      at: n,
      signal: z.string().nullable(),
      exit_code: ms,
      killed_by_keel: z.boolean(),
      run_id: z.string().nullable(),
      step: z.string().nullable(),
    }),
  ),
});

const scheduler = z.strictObject({
  sources: n,
  paused: z.array(z.string()),
  late: z.array(
    z.strictObject({ name: z.string(), kind: z.string(), next_tick_at: n, late_ms: n }),
  ),
  failing: z.array(z.strictObject({ name: z.string(), error: z.string(), since: n })),
});

const emergency = z.strictObject({
  on: z.boolean(),
  reason: z.string().nullable(),
  actor: z.string().nullable(),
  at: n.nullable(),
});

const alerts = z.strictObject({
  firing: z.array(z.string()),
  queued: n,
  receivers: z.array(
    z.strictObject({
      receiver: z.string(),
      queued: n,
      attempts: n,
      last_error: z.string().nullable(),
    }),
  ),
});

/** any one component's details: every field optional, no field outside its component's list */
const cluster = z.strictObject({
  online: n,
  draining: n,
  offline: n,
  gone: n,
  late: z.array(z.string()),
  blocked: z.array(z.string()),
  capacity: z.record(z.string(), n),
  pools: z.record(z.string(), n),
  waiting_for_capability: z.array(
    z.strictObject({ placement: z.string(), runs: n, served: z.boolean() }),
  ),
});

export const healthDetailsSchema = z.union([
  store.partial(),
  node.partial(),
  queue.partial(),
  disk.partial(),
  breakers.partial(),
  workers.partial(),
  scheduler.partial(),
  emergency.partial(),
  alerts.partial(),
  cluster.partial(),
]);
