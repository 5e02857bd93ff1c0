import type { Command } from "commander";
import { spawn } from "node:child_process";
import { mkdirSync, openSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveHome } from "../../store/home.js";
import { readLivePid, removePidfile, writePidfile } from "../../ops/pidfile.js";
import { preflightStore } from "../../ops/db-preflight.js";
import { keelCommand } from "../../ops/db-files.js";
import { loadConfig, type ResolvedConfig } from "../../ops/config.js";
import { diskCleanupTasks } from "../../ops/disk-cleanup.js";
import { intFlag } from "../flags.js";
import { printJson } from "../output.js";
import { ExitCode, action } from "../run-command.js";
import { checkNodeConfig, openSession, type GlobalOptions } from "../session.js";
import { readApiAddress } from "../../api/address.js";
import type { RunningApi } from "../../api/listen.js";
import { scheduleBackups } from "../../ops/backup-schedule.js";
import { doctorSettings } from "../../ops/doctor/settings.js";
import { writeStartedConfig } from "../../ops/started-config.js";
import { redactPaths } from "../../engine/redact-paths.js";
import { reopenLogFiles } from "../../engine/logger.js";
import { alertsOf } from "../../ops/alerts/service.js";
import { nodeCapabilityDemand } from "../../ops/capability-demand.js";
import { ShadowWorker } from "../../ops/shadow/shadow-worker.js";

/**
 * `keel start`: a node on this machine's store. In the background by default (pidfile, log file
 * under $KEEL_HOME); `--foreground` keeps it attached. SIGINT/SIGTERM stop it gracefully; a
 * second signal aborts the steps in flight and returns their runs to pending.
 */
export function registerStart(program: Command, global: () => GlobalOptions): void {
  program
    .command("start")
    .description("start a node that runs the configured pipelines")
    .option("--foreground", "stay attached to this terminal; logs go to stderr")
    .option(
      "--concurrency <n>",
      "runs in flight at once, fixed: adaptation off (overrides workers.concurrency)",
      intFlag("--concurrency", 1, 10_000),
    )
    .option("--join-token <token>", "join the cluster with this token (cluster.join_token)")
    .option("--host-id <id>", "this node's host identity (cluster.host_id; default the host name)")
    .option(
      "--capabilities <list>",
      "what this node offers, e.g. gpu,embedding (node.capabilities)",
    )
    .option("--slots <pools>", "slots per pool this node serves, e.g. gpu=2 (cluster.pools)")
    .addHelpText(
      "after",
      `
Examples:
  keel start                      start in the background; logs in $KEEL_HOME/logs/keel.log
  KEEL_STORE=postgres://keel@db:5432/keel keel start --foreground \
    --join-token keel_join_... --capabilities gpu --slots gpu=2   a GPU node of a cluster
  keel start --foreground         run attached; Ctrl-C stops gracefully, twice aborts in-flight steps
  KEEL_WORKERS_CONCURRENCY=4 keel start --foreground

  KEEL_SERVER_HOST=0.0.0.0 KEEL_SERVER_TLS_CERT=cert.pem KEEL_SERVER_TLS_KEY=key.pem keel start

A host other than loopback needs server.tls.cert and server.tls.key (HTTPS) or
server.allow_plain_http: true; see docs/api.md#transport-security.

Environment: KEEL_HOME (data folder, default ~/.keel), KEEL_CONFIG (config file), KEEL_LOG_LEVEL,
  KEEL_STORE, KEEL_JOIN_TOKEN, KEEL_HOST_ID, KEEL_SERVER_HOST, KEEL_SERVER_PORT, KEEL_SERVER_TLS_CERT, KEEL_SERVER_TLS_KEY`,
    )
    .action(
      action(async (opts: StartFlags) => {
        const g = global();
        const config = loadConfig(g.config, flagsOverEnv(opts));
        const home = resolveHome(g.home ?? config.home);
        const running = readLivePid(home);
        if (running !== null && running !== process.pid) {
          process.stderr.write(
            `keel is already running for ${home} (pid ${running}); stop it first with \`${keelCommand(home, "stop")}\`\n`,
          );
          return ExitCode.failed;
        }
        return opts.foreground
          ? runForeground(g, home, config)
          : startBackground(g, home, flagsOverEnv(opts));
      }),
    );
}

/**
 * The flags are the config's last layer (defaults < file < env < flags): `--concurrency` is read
 * as KEEL_WORKERS_CONCURRENCY would be, so it is checked by the same schema, without changing
 * this process's environment.
 */
interface StartFlags {
  foreground?: boolean;
  concurrency?: number;
  joinToken?: string;
  hostId?: string;
  capabilities?: string;
  slots?: string;
}

function flagsOverEnv(opts: StartFlags): NodeJS.ProcessEnv {
  const flags: Record<string, string | undefined> = {
    KEEL_WORKERS_CONCURRENCY: opts.concurrency === undefined ? undefined : String(opts.concurrency),
    KEEL_CLUSTER_JOIN_TOKEN: opts.joinToken,
    KEEL_CLUSTER_HOST_ID: opts.hostId,
    KEEL_NODE_CAPABILITIES: opts.capabilities,
    KEEL_CLUSTER_POOLS: opts.slots,
  };
  const set = Object.entries(flags).filter(([, v]) => v !== undefined);
  return set.length === 0 ? process.env : { ...process.env, ...Object.fromEntries(set) };
}

async function runForeground(
  g: GlobalOptions,
  home: string,
  config: ResolvedConfig,
): Promise<number> {
  const session = await openSession({ ...g, home }, { node: true, config });
  writePidfile(home);
  writeStartedConfig(home, session.config);
  session.keel.addDiskCleanup(...diskCleanupTasks(home, session.config));
  await session.keel.start();
  const alerts = alertsOf(session.keel);
  alerts?.start({
    nodeOfflineMs: session.config.node.lease_ms,
    capabilities: nodeCapabilityDemand(session.keel),
  });
  // compares sampled runs with the pipelines' active shadows, in the background (docs/determinism.md)
  const shadows = new ShadowWorker(session.keel);
  shadows.start();
  const server = session.config.server;
  let api: RunningApi | undefined;
  if (server.enabled) {
    try {
      // loaded here only: the HTTP server's code is not needed by a command that is not a node
      const { listenApi } = await import("../../api/listen.js");
      api = await listenApi({
        keel: session.keel,
        home,
        host: server.host,
        port: server.port,
        auth: server.auth,
        metricsAuth: session.config.metrics.auth,
        tls: server.tls && {
          cert: resolveFromConfig(session.config.file, server.tls.cert),
          key: resolveFromConfig(session.config.file, server.tls.key),
        },
        allowPlainHttp: server.allow_plain_http,
        failedAuth: { max: server.failed_auth_limit, windowMs: server.failed_auth_window_ms },
        redactPaths: session.config.security.path_redaction,
        accessLog: session.config.security.audit_logging,
        node: () => session.keel.snapshot(),
        doctor: doctorSettings(session.config),
      });
    } catch (error) {
      await alerts?.stop();
      await shadows.stop();
      await session.keel.stop();
      removePidfile(home);
      throw error;
    }
  }
  // the signal handlers go in before the ready line: whoever reads that line may signal at once
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      const force = signals > 1;
      session.keel.log.info(
        { signal, force },
        force
          ? "stopping now: aborting steps in flight"
          : "stopping: waiting for steps in flight (signal again to abort them)",
      );
      // the API closes first: no change is accepted for a node that is going away
      if (signals === 1)
        void (api?.close() ?? Promise.resolve())
          .catch(() => undefined)
          // the lease is handed back while the store is open: another node takes over at once
          .then(() => alerts?.stop())
          .then(() => shadows.stop())
          .then(() => session.keel.stop({ force }))
          .then(resolve, resolve);
      else if (force)
        void shadows
          .stop()
          .then(() => session.keel.stop({ force }))
          .then(resolve, resolve);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  // logrotate renames keel.log, then sends SIGHUP: the next line goes to a new keel.log. Only with
  // a log file: in a terminal, SIGHUP (the terminal closed) still stops the node
  if (session.config.log.file)
    process.on("SIGHUP", () => {
      const files = reopenLogFiles();
      session.keel.log.info({ signal: "SIGHUP", files }, "log file reopened");
    });
  // the node's own timers are unref'd (it may be embedded in someone's process); this one keeps
  // the `keel start` process alive while idle
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const names = session.keel.pipelines.join(", ");
  // in the background this line is the first of keel.log: it follows path redaction like the log
  const shownHome = session.config.security.path_redaction ? redactPaths(home) : home;
  if (g.format === "json")
    printJson({
      node_id: session.keel.nodeId,
      pid: process.pid,
      home: shownHome,
      pipelines: session.keel.pipelines,
      api: api?.url ?? null,
    });
  else
    process.stdout.write(
      `keel node ${session.keel.nodeId} running [${names}] on ${shownHome} (pid ${process.pid})${
        api ? `; API ${api.url}` : ""
      }; Ctrl-C to stop\n`,
    );
  if (api) session.keel.log.info({ url: api.url, auth: server.auth }, "api listening");
  const backups = scheduleBackups(home, session.config.backup, session.keel.log);
  if (session.usingDemo)
    session.keel.log.info(
      "no pipeline modules configured; running the demo pipeline document-analysis",
    );
  await stopped;
  clearInterval(keepAlive);
  backups?.stop();
  removePidfile(home);
  return ExitCode.ok;
}

/** A file named in keel.yaml is relative to that file, like pipeline modules. */
function resolveFromConfig(configFile: string | null, path: string): string {
  return resolve(configFile ? dirname(configFile) : ".", path);
}

/** `env`: this process's, with the flags as the config's last layer (the node reads them so) */
async function startBackground(
  g: GlobalOptions,
  home: string,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  // say it here: the background node would only fail into its log file
  for (const warning of preflightStore(home)) process.stderr.write(`warning: ${warning}\n`);
  await checkNodeConfig(loadConfig(g.config));
  const logs = join(home, "logs");
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const out = openSync(join(logs, "keel.log"), "a", 0o600);
  const bin = fileURLToPath(new URL("../../../../bin/keel.js", import.meta.url));
  const args = [
    bin,
    "start",
    "--foreground",
    "--home",
    home,
    ...(g.config ? ["--config", g.config] : []),
  ];
  // the node writes its log itself, so that it can reopen it on SIGHUP; what else it prints (its
  // ready line, a crash) goes to the same file through its stdout and stderr
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", out, out],
    env: loadConfig(g.config).log.file ? env : { ...env, KEEL_LOG_FILE: join(logs, "keel.log") },
  });
  child.unref();
  const withApi = loadConfig(g.config).server.enabled;
  const pid = await waitForReady(home, child.pid ?? -1, withApi);
  if (pid === null) {
    process.stderr.write(`keel failed to start; see ${join(logs, "keel.log")}\n`);
    return ExitCode.failed;
  }
  const api = withApi ? (readApiAddress(home)?.url ?? null) : null;
  if (g.format === "json") printJson({ pid, home, log: join(logs, "keel.log"), api });
  else
    process.stdout.write(
      `keel started (pid ${pid})${api ? `; API ${api}` : ""}; logs: ${join(logs, "keel.log")}\n`,
    );
  return ExitCode.ok;
}

/**
 * The child's pid once it wrote the pidfile and, with the API on, once its API listens: the next
 * command then goes through the API. null if the child died first (a port in use, say).
 */
async function waitForReady(
  home: string,
  childPid: number,
  withApi: boolean,
): Promise<number | null> {
  for (let i = 0; i < 100; i++) {
    const pid = readLivePid(home);
    if (pid === childPid && (!withApi || readApiAddress(home)?.pid === childPid)) return pid;
    try {
      process.kill(childPid, 0);
    } catch {
      return null;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}
