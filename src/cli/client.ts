import { loadConfig } from "../ops/config.js";
import { diskThresholds } from "../ops/guard-settings.js";
import { readLivePid } from "../ops/pidfile.js";
import { doctorSettings } from "../ops/doctor/settings.js";
import { readAdminToken } from "../ops/tokens.js";
import { resolveHome } from "../store/home.js";
import { KeelError } from "../core/errors/keel-error.js";
import { KeelErrorCode } from "../core/errors/codes.js";
import { readApiAddress } from "../api/address.js";
import type { Operation } from "../api/operation.js";
import type { ErrorBody } from "../api/errors.js";
import { cliActor } from "./actor.js";
import type { GlobalOptions } from "./session.js";
import { requestText, type HttpAnswer } from "./http-request.js";
import { isTimeout, unansweredError, unansweredWarning, type Unanswered } from "./api-timeout.js";
import type { ApiEndpoint, Client, RawInput } from "./client-interface.js";
import type { StoreClient } from "./store-client.js";

export type { ApiEndpoint, Client, RawInput } from "./client-interface.js";

export interface ConnectOptions {
  /**
   * For commands that report on the store (status, health): with no node, open it read-only, and
   * not at all when its file is missing, empty or corrupt (an empty in-memory store stands in), so
   * that looking never creates the store nor fails on the damage it should report.
   */
  readOnly?: boolean;
}

export async function withClient<T>(
  g: GlobalOptions,
  fn: (client: Client) => Promise<T>,
  options: ConnectOptions = {},
): Promise<T> {
  const client = await connect(g, options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export async function connect(g: GlobalOptions, options: ConnectOptions = {}): Promise<Client> {
  const config = loadConfig(g.config);
  const home = resolveHome(g.home ?? config.home);
  const local = async (readOnly = options.readOnly): Promise<StoreClient> => {
    // the store, the engine and the operations' code: loaded only when no node answers
    const { StoreClient } = await import("./store-client.js");
    const client = readOnly ? StoreClient.readOnly(home) : StoreClient.open(g, home);
    client.diskThresholds = diskThresholds(config);
    client.doctor = doctorSettings(config);
    return client;
  };
  const api = apiEndpoint(g, home, g.apiTimeoutMs ?? config.cli.api_timeout_ms);
  return api ? new HttpClient(api, local) : local();
}

/** The API of the node running for this home, or null when none runs (or it does not listen). */
export function apiEndpoint(g: GlobalOptions, home: string, timeoutMs: number): ApiEndpoint | null {
  const pid = readLivePid(home);
  const address = pid === null ? null : readApiAddress(home);
  if (pid === null || !address || address.pid !== pid) return null;
  return {
    url: address.url,
    token: g.token || process.env.KEEL_TOKEN || readAdminToken(home),
    pid,
    timeoutMs,
  };
}

/** The headers of every request to a node: its token, and who runs this CLI (for the audit log). */
export function apiHeaders(api: ApiEndpoint): Record<string, string> {
  const headers: Record<string, string> = { "x-keel-actor": cliActor() };
  if (api.token) headers.authorization = `Bearer ${api.token}`;
  return headers;
}

/** A refused request as the error the node named (`{ error: { code, message, details } }`). */
export function apiError(status: number, text: string, what: string): KeelError {
  let error: ErrorBody["error"] | undefined;
  try {
    error = (JSON.parse(text) as ErrorBody | null)?.error;
  } catch {
    // not keel's JSON (a proxy's page): the status says enough
  }
  return new KeelError(
    // the node's code, relayed as it named it (a newer node may know codes this one does not)
    (error?.code ?? KeelErrorCode.apiError) as KeelErrorCode,
    error?.message ?? `${what} answered ${status}`,
    {
      details: { ...error?.details, status },
    },
  );
}

class HttpClient implements Client {
  readonly via = "api";
  unanswered: Unanswered | null = null;
  private fallback: StoreClient | undefined;

  constructor(
    readonly api: ApiEndpoint,
    private readonly local: (readOnly?: boolean) => Promise<StoreClient>,
  ) {}

  async call<P, Q, B, R>(op: Operation<P, Q, B, R>, input: RawInput = {}): Promise<R> {
    if (this.unanswered && op.method !== "GET")
      throw unansweredError(this.unanswered, `${op.method} ${op.path}`);
    if (this.fallback) return this.fallback.call(op, input);
    const url = new URL(
      op.path.replace(/:([a-z_]+)/g, (_, name: string) =>
        encodeURIComponent(String(input.params?.[name] ?? "")),
      ),
      this.api.url,
    );
    for (const [key, value] of Object.entries(input.query ?? {}))
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    const headers = apiHeaders(this.api);
    const hasBody = op.method !== "GET" && input.body !== undefined;
    if (hasBody) headers["content-type"] = "application/json";
    if (input.traceparent !== undefined) headers.traceparent = input.traceparent;
    // a long poll (timeout_ms) may rightly hold the answer back that long, and no longer
    const pollMs = Number(input.query?.timeout_ms ?? 0);
    const waitedMs = this.api.timeoutMs + (Number.isFinite(pollMs) ? pollMs : 0);
    let answer: HttpAnswer;
    try {
      answer = await requestText(url, {
        method: op.method,
        headers,
        ...(hasBody ? { body: JSON.stringify(input.body) } : {}),
        timeoutMs: waitedMs,
      });
    } catch (error) {
      // the node went away between the pidfile check and the call: work on the store instead
      if (isConnectionRefused(error)) {
        this.fallback = await this.local();
        return this.fallback.call(op, input);
      }
      if (isTimeout(error)) {
        const unanswered = { pid: this.api.pid, url: this.api.url, waitedMs };
        if (op.method !== "GET") throw unansweredError(unanswered, `${op.method} ${url.pathname}`);
        this.unanswered = unanswered;
        process.stderr.write(unansweredWarning(unanswered));
        this.fallback = await this.local(true);
        return this.fallback.call(op, input);
      }
      throw new KeelError(
        "api_unreachable",
        `the node's API at ${this.api.url} did not answer: ${String(error)}`,
      );
    }
    const { status, text } = answer;
    if (status < 200 || status > 299) throw apiError(status, text, `${op.method} ${url.pathname}`);
    return (text ? JSON.parse(text) : null) as R;
  }

  async close(): Promise<void> {
    await this.fallback?.close();
  }
}

function isConnectionRefused(error: unknown): boolean {
  // only a refused connection proves the request was never sent; after a reset it may have been
  // applied, and sending it again to the store could apply it twice
  return (error as { code?: string }).code === "ECONNREFUSED";
}
