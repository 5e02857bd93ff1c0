import { readFileSync, rmSync } from "node:fs";
import { KeelError } from "../core/errors/keel-error.js";
import type { Keel } from "../engine/keel.js";
import { writeFileAtomic } from "../ops/atomic-file.js";
import { isLoopbackHost } from "../ops/loopback.js";
import { ensureAdminToken } from "../ops/tokens.js";
import type { LoginLinks } from "./console/login-links.js";
import type { NodeFigures } from "./operation.js";
import { apiAddressPath, readApiAddress, type ApiAddress } from "./address.js";
import type { DoctorSettings } from "../ops/doctor/types.js";
import { buildApi, type ApiServer } from "./server.js";

/**
 * Starts a node's HTTP API and tells the CLI where it is: `$KEEL_HOME/api.json` holds the URL and
 * the node's pid while it listens. With auth on, the first start also creates the admin token in
 * `$KEEL_HOME/admin.token` (0600) that the CLI on this machine uses by itself. A bind other
 * machines can reach needs tokens, and TLS unless plain HTTP is allowed in so many words.
 */
export interface ListenOptions {
  keel: Keel;
  home: string;
  host: string;
  port: number;
  auth: boolean;
  /** metrics.auth: false serves GET /metrics without a token, on a loopback bind only */
  metricsAuth?: boolean;
  accessLog?: boolean;
  node?: () => NodeFigures | undefined;
  /** keel.yaml's `doctor:` limits, for GET /v1/doctor */
  doctor?: DoctorSettings;
  /** PEM files (server.tls.cert, server.tls.key): the API speaks HTTPS */
  tls?: { cert: string; key: string };
  /** server.allow_plain_http: serve plain HTTP on a non-loopback bind (tokens cross in clear) */
  allowPlainHttp?: boolean;
  /** security.path_redaction (default true) */
  redactPaths?: boolean;
  failedAuth?: { max: number; windowMs: number };
  /** the node's one-time console login codes (`keel demo --serve` issues one for its banner) */
  loginLinks?: LoginLinks;
}

export interface RunningApi extends ApiServer {
  url: string;
  close(): Promise<void>;
}

export async function listenApi(options: ListenOptions): Promise<RunningApi> {
  const loopback = await isLoopbackHost(options.host);
  if (!options.auth && !loopback)
    throw new KeelError(
      "invalid_config",
      `server.auth is false but server.host is ${options.host}: a non-loopback bind without tokens is refused; turn auth on or bind 127.0.0.1`,
    );
  if (options.metricsAuth === false && !loopback)
    throw new KeelError(
      "invalid_config",
      `metrics.auth is false but server.host is ${options.host}: /metrics without a token is refused on a non-loopback bind; give Prometheus a viewer token (docs/metrics.md) or bind 127.0.0.1`,
    );
  if (!loopback && !options.tls && !options.allowPlainHttp)
    throw new KeelError(
      "invalid_config",
      `server.host ${options.host} is not a loopback address, and tokens would cross the network in clear: set server.tls.cert and server.tls.key (PEM files), bind 127.0.0.1 behind a TLS proxy, or set server.allow_plain_http: true`,
    );
  const https = options.tls && {
    cert: readPem("server.tls.cert", options.tls.cert),
    key: readPem("server.tls.key", options.tls.key),
  };
  if (options.auth) await ensureAdminToken(options.keel.store, options.home);
  const server = await buildApi({ ...options, https });
  try {
    await server.app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await server.app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new KeelError(
        "port_in_use",
        `${options.host}:${options.port} is in use by another program; set server.port in keel.yaml (or KEEL_SERVER_PORT, 0 for any free port)`,
        { cause: error },
      );
    throw error;
  }
  if (!loopback && !https)
    options.keel.log.warn(
      { host: options.host },
      `serving plain HTTP on ${options.host} (server.allow_plain_http): API tokens cross the network in clear; set server.tls.cert and server.tls.key`,
    );
  const address = server.app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const url = `${https ? "https" : "http"}://${localName(options.host)}:${port}`;
  writeFileAtomic(
    apiAddressPath(options.home),
    `${JSON.stringify({ url, pid: process.pid } satisfies ApiAddress)}\n`,
  );
  return {
    ...server,
    url,
    async close() {
      const current = readApiAddress(options.home);
      if (current?.pid === process.pid) rmSync(apiAddressPath(options.home), { force: true });
      await server.app.close();
    },
  };
}

/** The name the CLI on this machine uses: a wildcard bind is reached on loopback. */
function localName(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new KeelError(
      "invalid_config",
      `${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a PEM file the node's user can read`,
      { cause: error },
    );
  }
}
