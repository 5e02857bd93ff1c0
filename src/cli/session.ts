import { dirname, resolve } from "node:path";
import { pino } from "pino";
import { keel, type Keel } from "../engine/keel.js";
import { createLogger } from "../engine/logger.js";
import type { BreakerOptions } from "../engine/breaker-options.js";
import { loadConfig, type ResolvedConfig } from "../ops/config.js";
import { preflightStore } from "../ops/db-preflight.js";
import { resolveHome } from "../store/home.js";
import { checkSourcePipelines, loadPipelineModules } from "../ops/pipeline-modules.js";
import { diskGuardSettings, retentionSettings, workerSettings } from "../ops/guard-settings.js";
import type { Pipeline } from "../core/pipeline.js";
import { loadDemo } from "./demo-pipeline.js";
import { attachAlerts } from "../ops/alerts/service.js";
import { resolveReceivers } from "../ops/alerts/receivers.js";

/**
 * What a command needs: the resolved config, and a keel instance on the configured store with
 * the configured pipelines known (so `submit` checks names and versions before a node runs).
 */
export interface GlobalOptions {
  config?: string;
  home?: string;
  /** API token for a running node's API */
  token?: string;
  /** --api-timeout: overrides keel.yaml's cli.api_timeout_ms */
  apiTimeoutMs?: number;
  format: "table" | "json";
}

export interface Session {
  config: ResolvedConfig;
  keel: Keel;
  pipelines: Pipeline[];
  /** true when no pipeline module is configured and the demo pipeline stands in */
  usingDemo: boolean;
}

export async function openSession(
  global: GlobalOptions,
  options: {
    node?: boolean;
    logLevel?: string;
    config?: ResolvedConfig;
    /** false: import no pipeline module (a read needs none); default true */
    pipelines?: boolean;
  } = {},
): Promise<Session> {
  // a command with flags over the config resolves it itself and hands it in
  const config = options.config ?? loadConfig(global.config);
  // a corrupt store file is refused here, by name and with the restore command, before any query
  for (const warning of preflightStore(resolveHome(global.home ?? config.home)))
    process.stderr.write(`warning: ${warning}\n`);
  const { pipelines, usingDemo, breakers } =
    options.pipelines === false
      ? { pipelines: [], usingDemo: false, breakers: {} }
      : await configuredPipelines(config);
  if (options.node) checkSourcePipelines(config.sources, pipelines);
  const logger = options.node
    ? createLogger({
        level: options.logLevel ?? config.log.level,
        redactPaths: config.security.path_redaction,
        ...(config.log.file
          ? { destination: resolve(config.file ? dirname(config.file) : ".", config.log.file) }
          : {}),
      })
    : pino({ level: "silent" });
  const instance = keel({
    home: global.home ?? config.home,
    durability: config.store.durability,
    pipelines,
    sources: Object.entries(config.sources).map(([name, source]) => ({
      name,
      ...source,
      // a watched directory is relative to the config file, like pipeline modules
      ...(source.watch
        ? { watch: resolve(config.file ? dirname(config.file) : ".", source.watch) }
        : {}),
    })),
    logger,
    ...workerSettings(config),
    leaseMs: config.node.lease_ms,
    heartbeatMs: config.cluster.heartbeat_ms ?? config.node.heartbeat_ms,
    pollMs: config.node.poll_ms,
    pidCheckMs: config.node.pid_check_ms,
    capabilities: config.node.capabilities,
    ...(config.tracing.otlp_url
      ? {
          tracing: {
            otlpUrl: config.tracing.otlp_url,
            serviceName: config.tracing.service_name,
            headers: config.tracing.headers,
          },
        }
      : {}),
    cluster: {
      hostId: config.cluster.host_id,
      joinToken: config.cluster.join_token,
      pools: config.cluster.pools,
      offlineAfterMs: config.cluster.offline_after_ms,
      goneAfterMs: config.cluster.gone_after_ms,
      stuckAfterMs: config.cluster.stuck_after_ms,
    },
    telemetry: {
      retentionDays: config.telemetry.retention_days,
      flushMs: config.telemetry.flush_ms,
    },
    breakers: breakerOptions(config, breakers),
    isolation: {
      poisonAfter: config.isolation.poison_after,
      killGraceMs: config.isolation.kill_grace_ms,
    },
    disk: diskGuardSettings(config),
    retention: retentionSettings(config),
    storeCheckIntervalMs: config.store.check_interval_ms,
    retry: {
      maxAttempts: config.retry.max_attempts,
      baseDelayMs: config.retry.base_delay_ms,
      multiplier: config.retry.multiplier,
      maxDelayMs: config.retry.max_delay_ms,
    },
  });
  // a node signs deliveries: it refuses to start without its receivers' secrets
  attachAlerts(instance, config.alerts, config.file, { requireSecrets: !!options.node });
  return { config, keel: instance, pipelines, usingDemo };
}

/**
 * The pipelines of the configured modules, or the demo pipeline when none is configured, with the
 * breaker options their code gives (the demo's probe; none for configured modules).
 */
export async function configuredPipelines(config: ResolvedConfig): Promise<{
  pipelines: Pipeline[];
  usingDemo: boolean;
  breakers: Record<string, BreakerOptions>;
}> {
  const configured = await loadPipelineModules(config.pipelineModules);
  if (configured.length > 0) return { pipelines: configured, usingDemo: false, breakers: {} };
  const demo = await loadDemo();
  return { pipelines: [demo.pipeline], usingDemo: true, breakers: demo.breakers };
}

/**
 * What a node would refuse at start, checked before `keel start` puts one in the background: a
 * pipeline module that is missing or does not load, a source naming an unknown pipeline. Said on
 * the terminal with exit 2, instead of "failed to start, see the log".
 */
export async function checkNodeConfig(config: ResolvedConfig): Promise<void> {
  checkSourcePipelines(config.sources, (await configuredPipelines(config)).pipelines);
  resolveReceivers(config.alerts, config.file);
}

/** keel.yaml's breakers over those given in code (the demo's probe): a file cannot give a probe. */
function breakerOptions(
  config: ResolvedConfig,
  inCode: Record<string, BreakerOptions>,
): Record<string, BreakerOptions> {
  const merged: Record<string, BreakerOptions> = { ...inCode };
  for (const [name, b] of Object.entries(config.breakers)) {
    const fromFile = {
      failureThreshold: b.failure_threshold,
      recoveryTimeoutMs: b.recovery_timeout_ms,
      halfOpenRequests: b.half_open_requests,
    };
    merged[name] = {
      ...merged[name],
      ...Object.fromEntries(Object.entries(fromFile).filter(([, v]) => v !== undefined)),
    };
  }
  return merged;
}
