import * as z from "zod";
import { checkCron } from "../engine/sources.js";
import { maxDurationMs, parseDurationMs } from "../core/duration.js";
import { defaultClaimAheadWaitMs } from "../engine/worker-options.js";
import { mayBeLoopback } from "./loopback.js";
import { alertsConfigSchema } from "./alerts/alert-config.js";

const dayMs = 86_400_000;
const poolName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "a pool name is 1-64 letters, digits, _ . -");

/** "gpu=2,embed=1" or ["gpu=2", "embed=1"] (the environment's forms) -> { gpu: 2, embed: 1 } */
function parsePools(value: unknown): unknown {
  const list = typeof value === "string" ? value.split(",") : value;
  if (!Array.isArray(list)) return value;
  const out: Record<string, unknown> = {};
  for (const item of list) {
    const [name, slots, ...rest] = String(item).trim().split("=");
    if (!name || slots === undefined || rest.length > 0) return value;
    out[name] = /^\d+$/.test(slots) ? Number(slots) : slots;
  }
  return out;
}
/** a node's backup timer is a setInterval, whose longest wait is 2^31-1 ms (24.8 days) */
const maxBackupEveryMs = 24 * dayMs;

/**
 * keel.yaml, as a schema. Keys are snake_case in the file; every key can be overridden by an
 * environment variable KEEL_<SECTION>_<KEY> (e.g. KEEL_WORKERS_CONCURRENCY=4). Unknown keys are
 * errors: a typo must not silently fall back to a default.
 */
export const configSchema = z
  .object({
    home: z.string().min(1).optional(),
    store: z
      .object({
        durability: z.enum(["normal", "full"]).default("normal"),
        /** a PostgreSQL store (postgres://user@host:5432/db?schema=keel); unset: SQLite in the home */
        url: z
          .string()
          .regex(
            /^postgres(ql)?:\/\//i,
            "must be a postgres:// or postgresql:// URL (postgres://user@host:5432/db?schema=keel); leave it out for the SQLite file in the home folder",
          )
          .optional(),
        /** a running node's page-by-page check of the store file (ms); 0: only when a query meets damage */
        check_interval_ms: z.number().int().min(0).max(86_400_000).default(300_000),
      })
      .strict()
      .default({ durability: "normal", check_interval_ms: 300_000 }),
    /** runs in flight: adaptive between min and max, or fixed by concurrency (docs/concepts.md) */
    workers: z
      .object({
        /** fixes the number of runs in flight and turns adaptation off */
        concurrency: z.number().int().min(1).max(10_000).optional(),
        min_workers: z.number().int().min(1).max(10_000).default(1),
        /** default min(cpus, 8) */
        max_workers: z.number().int().min(1).max(10_000).optional(),
        /** while under CPU pressure, runs of lower priority are not claimed */
        defer_below_priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
        /** runs claimed beyond the free slots while runs are short; default 3 x max, at least 128; 0: off */
        claim_ahead: z.number().int().min(0).max(10_000).optional(),
        /** the wait a run claimed ahead should expect before it starts (ms) */
        claim_ahead_wait_ms: z.number().int().min(1).max(60_000).default(defaultClaimAheadWaitMs),
      })
      .strict()
      .default({ min_workers: 1, claim_ahead_wait_ms: defaultClaimAheadWaitMs })
      .superRefine((w, ctx) => {
        if (w.max_workers !== undefined && w.min_workers > w.max_workers)
          ctx.addIssue({
            code: "custom",
            path: ["min_workers"],
            message: `min_workers (${w.min_workers}) must not be above max_workers (${w.max_workers})`,
          });
      }),
    node: z
      .object({
        lease_ms: z.number().int().min(100).max(dayMs).default(5000),
        heartbeat_ms: z.number().int().min(50).max(dayMs).default(1000),
        poll_ms: z.number().int().min(10).max(dayMs).default(1000),
        /** how often same-host nodes' pids are looked up (no store access); 0: at each poll only */
        pid_check_ms: z
          .number()
          .int()
          .min(0)
          .max(3_600_000)
          .refine((ms) => ms === 0 || ms >= 10, "must be 0 (off) or at least 10")
          .default(100),
        /** a list, or "gpu,embed" (KEEL_NODE_CAPABILITIES=gpu) */
        capabilities: z
          .preprocess(
            (v) =>
              typeof v === "string"
                ? v
                    .split(",")
                    .map((c) => c.trim())
                    .filter(Boolean)
                : v,
            z.array(poolName),
          )
          .default([]),
      })
      .strict()
      .default({
        lease_ms: 5000,
        heartbeat_ms: 1000,
        poll_ms: 1000,
        pid_check_ms: 100,
        capabilities: [],
      }),
    /** a node's place in a cluster of nodes sharing one store (docs/cluster.md) */
    cluster: z
      .object({
        /** this node's host identity; default the host name (KEEL_HOST_ID) */
        host_id: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "use 1-128 letters, digits, _ . : -")
          .optional(),
        /** the join token from `keel nodes token create` (KEEL_JOIN_TOKEN); required on PostgreSQL */
        join_token: z.string().min(1).optional(),
        /** slots per named pool this node serves: { gpu: 2 }, or "gpu=2,embed=1" */
        pools: z
          .preprocess(parsePools, z.record(poolName, z.number().int().min(1).max(10_000)))
          .default({}),
        /** overrides node.heartbeat_ms */
        heartbeat_ms: z.number().int().min(50).max(dayMs).optional(),
        /** a node silent this long is offline, its runs back to pending; default node.lease_ms */
        offline_after_ms: z.number().int().min(100).max(dayMs).optional(),
        /** an offline node silent this long is gone (keel nodes forget removes it) */
        gone_after_ms: z
          .number()
          .int()
          .min(1000)
          .max(30 * dayMs)
          .default(600_000),
        /** a node finishing no step this long while runs it could take wait is stuck */
        stuck_after_ms: z.number().int().min(1000).max(dayMs).default(120_000),
      })
      .strict()
      .default({ pools: {}, gone_after_ms: 600_000, stuck_after_ms: 120_000 }),
    retry: z
      .object({
        max_attempts: z.number().int().min(1).default(3),
        base_delay_ms: z.number().min(0).max(maxDurationMs).default(1000),
        multiplier: z.number().min(1).default(2),
        max_delay_ms: z.number().min(0).max(maxDurationMs).default(60_000),
      })
      .strict()
      .default({ max_attempts: 3, base_delay_ms: 1000, multiplier: 2, max_delay_ms: 60_000 }),
    /** steps with isolation: "process" run in child processes of the node */
    isolation: z
      .object({
        /** worker crashes of one run before it is quarantined as poison */
        poison_after: z.number().int().min(1).max(1_000_000).default(3),
        /** ms an aborted or timed-out step's child may take to stop before it is killed */
        kill_grace_ms: z.number().int().min(1).max(3_600_000).default(1000),
      })
      .strict()
      .default({ poison_after: 3, kill_grace_ms: 1000 }),
    /** scheduled backups taken by a running node (keel db backup does one by hand) */
    backup: z
      .object({
        cron: z.string().min(1).optional(),
        every: z
          .union([z.string().min(1), z.number().int().min(1000).max(maxBackupEveryMs)])
          .optional(),
        timezone: z.string().min(1).optional(),
        keep: z.number().int().min(1).max(10_000).default(7),
      })
      .strict()
      .default({ keep: 7 })
      .superRefine((b, ctx) => {
        if (b.cron !== undefined && b.every !== undefined)
          ctx.addIssue({
            code: "custom",
            path: ["every"],
            message: "backup has both cron and every; give one of them",
          });
        if (b.cron !== undefined)
          try {
            checkCron("backup", b.cron, b.timezone ?? null);
          } catch (error) {
            ctx.addIssue({ code: "custom", path: ["cron"], message: (error as Error).message });
          }
        if (typeof b.every === "string")
          try {
            const ms = parseDurationMs(b.every);
            if (ms < 1000 || ms > maxBackupEveryMs)
              throw new Error(
                "backup.every must be 1s or more and at most 24d (use cron for a longer cycle)",
              );
          } catch (error) {
            ctx.addIssue({ code: "custom", path: ["every"], message: (error as Error).message });
          }
      }),
    /**
     * ended runs deleted by the node after this many days (0: kept for ever); quarantined runs keep
     * their own purge (disk.purge_quarantine_older_than_days, keel quarantine purge)
     */
    retention: z
      .object({
        succeeded_days: z.number().min(0).max(36_500).default(30),
        cancelled_days: z.number().min(0).max(36_500).default(30),
        batch_size: z.number().int().min(1).max(100_000).default(500),
        pause_ms: z.number().int().min(0).max(60_000).default(50),
        interval_ms: z.number().int().min(1000).max(86_400_000).default(60_000),
      })
      .strict()
      .default({
        succeeded_days: 30,
        cancelled_days: 30,
        batch_size: 500,
        pause_ms: 50,
        interval_ms: 60_000,
      }),
    /** the disk guard: free space of the data folder (docs/concepts.md#the-disk-guard) */
    disk: z
      .object({
        enabled: z.boolean().default(true),
        warn_percent: z.number().min(1).max(100).default(80),
        pause_percent: z.number().min(1).max(100).default(90),
        hysteresis_percent: z.number().min(0).max(50).default(2),
        check_interval_ms: z.number().int().min(10).max(3_600_000).default(1000),
        cleanup_interval_ms: z.number().int().min(1000).max(86_400_000).default(300_000),
        /** rotated log files (keel.log.1, keel.log-2026...) kept in $KEEL_HOME/logs */
        keep_rotated_logs: z.number().int().min(0).max(10_000).default(5),
        /** unset: the guard never deletes quarantined runs */
        purge_quarantine_older_than_days: z.number().min(0).max(36_500).optional(),
      })
      .strict()
      .default({
        enabled: true,
        warn_percent: 80,
        pause_percent: 90,
        hysteresis_percent: 2,
        check_interval_ms: 1000,
        cleanup_interval_ms: 300_000,
        keep_rotated_logs: 5,
      })
      .superRefine((d, ctx) => {
        if (d.warn_percent > d.pause_percent)
          ctx.addIssue({
            code: "custom",
            path: ["warn_percent"],
            message: `warn_percent (${d.warn_percent}) must not be above pause_percent (${d.pause_percent})`,
          });
      }),
    security: z
      .object({
        /** every API request that changes something is logged (actor, route, status) */
        audit_logging: z.boolean().default(true),
        /** logs show file names, not full paths */
        path_redaction: z.boolean().default(true),
      })
      .strict()
      .default({ audit_logging: true, path_redaction: true }),
    /** the HTTP API (and console) of a node */
    server: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        /** 0 picks a free port (written to $KEEL_HOME/api.json for the CLI) */
        port: z.number().int().min(0).max(65_535).default(7420),
        /** false turns tokens off; refused unless host is loopback */
        auth: z.boolean().default(true),
        /** false: `keel start` runs no HTTP server */
        enabled: z.boolean().default(true),
        /** PEM files: the API speaks HTTPS (KEEL_SERVER_TLS_CERT, KEEL_SERVER_TLS_KEY) */
        tls: z
          .object({ cert: z.string().min(1), key: z.string().min(1) })
          .strict()
          .optional(),
        /** serve plain HTTP on a non-loopback host: tokens cross the network in clear */
        allow_plain_http: z.boolean().default(false),
        /** failed authentications one client (IP) may make per window before it gets 429 */
        failed_auth_limit: z.number().int().min(1).max(1_000_000).default(10),
        failed_auth_window_ms: z.number().int().min(1000).max(86_400_000).default(60_000),
      })
      .strict()
      .default({
        host: "127.0.0.1",
        port: 7420,
        auth: true,
        enabled: true,
        allow_plain_http: false,
        failed_auth_limit: 10,
        failed_auth_window_ms: 60_000,
      })
      .superRefine((server, ctx) => {
        const loopback = mayBeLoopback(server.host);
        if (!server.auth && !loopback)
          ctx.addIssue({
            code: "custom",
            path: ["auth"],
            message: `auth: false is refused on a non-loopback host (${server.host}): anyone who can reach it could change runs; keep auth on, or bind 127.0.0.1`,
          });
        else if (server.enabled && !loopback && !server.tls && !server.allow_plain_http)
          ctx.addIssue({
            code: "custom",
            path: ["host"],
            message: `${server.host} is not a loopback address, and API tokens would cross the network in clear: set server.tls.cert and server.tls.key, bind 127.0.0.1 behind a TLS proxy, or set server.allow_plain_http: true`,
          });
      }),
    /** GET /metrics on the node's API (docs/metrics.md) */
    metrics: z
      .object({
        /** false: Prometheus scrapes without a token; refused unless server.host is loopback */
        auth: z.boolean().default(true),
      })
      .strict()
      .default({ auth: true }),
    /** the CLI's calls to a node's API (docs/cli.md#a-node-that-does-not-answer) */
    cli: z
      .object({
        /** how long a command waits for the node's answer before it gives up on the API (ms) */
        api_timeout_ms: z.number().int().min(100).max(600_000).default(5000),
      })
      .strict()
      .default({ api_timeout_ms: 5000 }),
    log: z
      .object({
        level: z
          .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
          .default("info"),
        /**
         * the node's log file, reopened on SIGHUP (docs/tracing.md#rotation); unset: stderr in
         * the foreground, $KEEL_HOME/logs/keel.log in the background
         */
        file: z.string().min(1).optional(),
      })
      .strict()
      .default({ level: "info" }),
    /** `keel doctor`'s limits (docs/doctor.md): what counts as too old, too late, too many */
    doctor: z
      .object({
        backup_max_age_hours: z.number().min(1).max(87_600).default(26),
        token_max_age_days: z.number().int().min(1).max(36_500).default(90),
        pending_max_age_ms: z
          .number()
          .int()
          .min(1000)
          .max(30 * dayMs)
          .default(60_000),
        running_max_age_ms: z
          .number()
          .int()
          .min(1000)
          .max(30 * dayMs)
          .default(3_600_000),
        heartbeat_max_age_ms: z.number().int().min(100).max(dayMs).default(5000),
        quarantine_burst: z.number().int().min(1).max(1_000_000).default(10),
        retry_burst: z.number().int().min(1).max(1_000_000).default(20),
        tick_late_ms: z
          .number()
          .int()
          .min(1000)
          .max(30 * dayMs)
          .default(60_000),
      })
      .strict()
      .default({
        backup_max_age_hours: 26,
        token_max_age_days: 90,
        pending_max_age_ms: 60_000,
        running_max_age_ms: 3_600_000,
        heartbeat_max_age_ms: 5000,
        quarantine_burst: 10,
        retry_burst: 20,
        tick_late_ms: 60_000,
      }),
    /** spans of runs and steps over OTLP/HTTP (docs/tracing.md); unset otlp_url: none, no SDK loaded */
    tracing: z
      .object({
        otlp_url: z
          .url({
            protocol: /^https?$/,
            message: "an http(s) URL, e.g. http://127.0.0.1:4318/v1/traces",
          })
          .optional(),
        service_name: z.string().min(1).max(256).default("keel"),
        /** sent with each export, e.g. a hosted collector's API key (masked by `config show`) */
        headers: z.record(z.string().min(1), z.string()).default({}),
      })
      .strict()
      .default({ service_name: "keel", headers: {} }),
    /** per-minute rollups (docs/configuration.md#telemetry); retention_days 0 keeps them forever */
    telemetry: z
      .object({
        retention_days: z.number().int().min(0).max(36_500).default(30),
        flush_ms: z.number().int().min(10).max(3_600_000).default(5000),
      })
      .strict()
      .default({ retention_days: 30, flush_ms: 5000 }),
    /** modules whose exported pipelines this node runs; relative to the config file */
    pipelines: z.array(z.string().min(1)).default([]),
    /** producers of runs: name -> { pipeline, cron | every | watch (or none: manual), input, timezone } */
    sources: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a source name: letters, digits, . _ -"),
        z
          .object({
            pipeline: z.string().min(1),
            cron: z.string().min(1).optional(),
            every: z
              .union([z.string().min(1), z.number().int().min(10).max(maxDurationMs)])
              .optional(),
            input: z.json().optional(),
            timezone: z.string().min(1).optional(),
            /** a directory, relative to the config file: each new file submits a run */
            watch: z.string().min(1).optional(),
            /** the priority of its runs; below workers.defer_below_priority they wait under CPU pressure */
            priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
          })
          .strict(),
      )
      .default({})
      .superRefine((sources, ctx) => {
        for (const [name, s] of Object.entries(sources)) {
          if (s.cron !== undefined && s.every !== undefined)
            ctx.addIssue({
              code: "custom",
              path: [name],
              message: `source "${name}" has both cron and every; give one of them`,
            });
          if (s.watch !== undefined && (s.cron !== undefined || s.every !== undefined))
            ctx.addIssue({
              code: "custom",
              path: [name, "watch"],
              message: `source "${name}" has watch with cron or every; a watch source takes neither`,
            });
          if (s.cron !== undefined)
            try {
              checkCron(name, s.cron, s.timezone ?? null);
            } catch (error) {
              ctx.addIssue({
                code: "custom",
                path: [name, "cron"],
                message: (error as Error).message,
              });
            }
          if (typeof s.every === "string")
            try {
              parseDurationMs(s.every);
            } catch (error) {
              ctx.addIssue({
                code: "custom",
                path: [name, "every"],
                message: `source "${name}": ${(error as Error).message}`,
              });
            }
        }
      }),
    /** circuit breakers by dependency name (steps name them in `uses`); probes are set in code */
    breakers: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a breaker name: letters, digits, . _ -"),
        z
          .object({
            failure_threshold: z.number().int().min(1).max(1_000_000).optional(),
            recovery_timeout_ms: z.number().int().min(1).max(86_400_000).optional(),
            half_open_requests: z.number().int().min(1).max(10_000).optional(),
          })
          .strict(),
      )
      .default({}),
    /** alerts keel evaluates itself and delivers to webhooks (docs/alerts.md) */
    alerts: alertsConfigSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (!config.metrics.auth && !mayBeLoopback(config.server.host))
      ctx.addIssue({
        code: "custom",
        path: ["metrics", "auth"],
        message: `false is refused on a non-loopback host (${config.server.host}): anyone who can reach it could read the metrics; give Prometheus a viewer token (docs/metrics.md), or bind 127.0.0.1`,
      });
  });

export type KeelConfig = z.infer<typeof configSchema>;
