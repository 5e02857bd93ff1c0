import { rmSync } from "node:fs";
import { KeelError } from "../core/errors/keel-error.js";
import type { Keel } from "../engine/keel.js";
import { writeFileAtomic } from "../ops/atomic-file.js";
import { ensureAdminToken } from "../ops/tokens.js";
import type { NodeFigures } from "./operation.js";
import { apiAddressPath, readApiAddress, type ApiAddress } from "./address.js";
import { buildApi, isLoopback, type ApiServer } from "./server.js";

/**
 * Starts a node's HTTP API and tells the CLI where it is: `$KEEL_HOME/api.json` holds the URL and
 * the node's pid while it listens. With auth on, the first start also creates the admin token in
 * `$KEEL_HOME/admin.token` (0600) that the CLI on this machine uses by itself.
 */
export interface ListenOptions {
  keel: Keel;
  home: string;
  host: string;
  port: number;
  auth: boolean;
  accessLog?: boolean;
  node?: () => NodeFigures;
}

export interface RunningApi extends ApiServer {
  url: string;
  close(): Promise<void>;
}

export async function listenApi(options: ListenOptions): Promise<RunningApi> {
  if (!options.auth && !isLoopback(options.host))
    throw new KeelError(
      "invalid_config",
      `server.auth is false but server.host is ${options.host}: a non-loopback bind without tokens is refused; turn auth on or bind 127.0.0.1`,
    );
  if (options.auth) await ensureAdminToken(options.keel.store, options.home);
  const server = await buildApi(options);
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
  const address = server.app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
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
