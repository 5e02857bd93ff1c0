import { LoginLinks, loginUrl } from "../api/console/login-links.js";
import type { RunningApi } from "../api/listen.js";
import { hasKeelCode } from "../core/errors/keel-error.js";
import type { Keel } from "../engine/keel.js";
import type { ResolvedConfig } from "../ops/config.js";
import { readLivePid, removePidfile, writePidfile } from "../ops/pidfile.js";
import { readApiAddress } from "../api/address.js";

/**
 * `keel demo --serve` (what `npm start` runs): the demo's node also serves its API and the
 * console, and hands out a one-time admin login link for it. A node already running for the home
 * keeps serving: the demo then only says where.
 */
export type DemoConsole =
  | { kind: "serving"; url: string; login: string; close(): Promise<void> }
  | { kind: "elsewhere"; url: string | null; pid: number };

export async function serveDemoConsole(
  k: Keel,
  home: string,
  config: ResolvedConfig,
): Promise<DemoConsole> {
  const running = readLivePid(home);
  if (running !== null)
    return { kind: "elsewhere", url: readApiAddress(home)?.url ?? null, pid: running };
  const { listenApi } = await import("../api/listen.js");
  const links = new LoginLinks();
  const server = config.server;
  const listen = (port: number): Promise<RunningApi> =>
    listenApi({
      keel: k,
      home,
      host: server.host,
      port,
      auth: server.auth,
      metricsAuth: config.metrics.auth,
      allowPlainHttp: server.allow_plain_http,
      failedAuth: { max: server.failed_auth_limit, windowMs: server.failed_auth_window_ms },
      redactPaths: config.security.path_redaction,
      node: () => k.snapshot(),
      loginLinks: links,
    });
  let api: RunningApi;
  try {
    api = await listen(server.port);
  } catch (error) {
    // another program holds the usual port: any free one will do for a look at the console
    if (!hasKeelCode(error, "port_in_use")) throw error;
    api = await listen(0);
  }
  writePidfile(home);
  const login = loginUrl(api.url, links.issue("cli:demo").code);
  return {
    kind: "serving",
    url: `${api.url}/`,
    login,
    async close() {
      await api.close();
      removePidfile(home);
    },
  };
}
