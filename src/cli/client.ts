import { loadConfig } from "../ops/config.js";
import { readLivePid } from "../ops/pidfile.js";
import { readAdminToken } from "../ops/tokens.js";
import { resolveHome } from "../store/open-store.js";
import { KeelError } from "../core/errors/keel-error.js";
import { readApiAddress } from "../api/listen.js";
import { parseInput, type Operation } from "../api/operation.js";
import type { ErrorBody } from "../api/errors.js";
import { cliActor } from "./actor.js";
import { openSession, type GlobalOptions } from "./session.js";

/**
 * How a command reaches keel: over the HTTP API of the node running for this home (with the token
 * from --token, KEEL_TOKEN or $KEEL_HOME/admin.token), or, when no node runs, in-process on the
 * store. Either way the same operation runs with the same input checks and returns the same JSON.
 */
export interface RawInput {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
}

export interface Client {
  /** "api" when a node answers over HTTP, "store" when the command works on the store itself */
  readonly via: "api" | "store";
  call<P, Q, B, R>(op: Operation<P, Q, B, R>, input?: RawInput): Promise<R>;
  close(): Promise<void>;
}

export async function withClient<T>(
  g: GlobalOptions,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(g);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export async function connect(g: GlobalOptions): Promise<Client> {
  const config = loadConfig(g.config);
  const home = resolveHome(g.home ?? config.home);
  const pid = readLivePid(home);
  const address = pid === null ? null : readApiAddress(home);
  if (address && address.pid === pid) {
    const token = g.token ?? process.env.KEEL_TOKEN ?? readAdminToken(home);
    return new HttpClient(address.url, token, g, home);
  }
  return StoreClient.open(g, home);
}

class StoreClient implements Client {
  readonly via = "store";
  private constructor(
    private readonly session: Awaited<ReturnType<typeof openSession>>,
    private readonly home: string,
  ) {}

  static async open(g: GlobalOptions, home: string): Promise<StoreClient> {
    return new StoreClient(await openSession({ ...g, home }), home);
  }

  async call<P, Q, B, R>(op: Operation<P, Q, B, R>, input: RawInput = {}): Promise<R> {
    const parsed = parseInput(op, input);
    return op.run({ keel: this.session.keel, home: this.home, actor: cliActor() }, parsed);
  }

  close(): Promise<void> {
    return this.session.keel.stop();
  }
}

class HttpClient implements Client {
  readonly via = "api";
  private fallback: StoreClient | undefined;

  constructor(
    private readonly base: string,
    private readonly token: string | null,
    private readonly g: GlobalOptions,
    private readonly home: string,
  ) {}

  async call<P, Q, B, R>(op: Operation<P, Q, B, R>, input: RawInput = {}): Promise<R> {
    if (this.fallback) return this.fallback.call(op, input);
    const url = new URL(
      op.path.replace(/:([a-z_]+)/g, (_, name: string) =>
        encodeURIComponent(String(input.params?.[name] ?? "")),
      ),
      this.base,
    );
    for (const [key, value] of Object.entries(input.query ?? {}))
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { "x-keel-actor": cliActor() };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const hasBody = op.method !== "GET" && input.body !== undefined;
    if (hasBody) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url, {
        method: op.method,
        headers,
        body: hasBody ? JSON.stringify(input.body) : undefined,
      });
    } catch (error) {
      // the node went away between the pidfile check and the call: work on the store instead
      if (isConnectionRefused(error)) {
        this.fallback = await StoreClient.open(this.g, this.home);
        return this.fallback.call(op, input);
      }
      throw new KeelError(
        "api_unreachable",
        `the node's API at ${this.base} did not answer: ${String(error)}`,
      );
    }
    const text = await response.text();
    const body = text ? (JSON.parse(text) as unknown) : null;
    if (!response.ok) {
      const error = (body as ErrorBody | null)?.error;
      throw new KeelError(
        error?.code ?? "api_error",
        error?.message ?? `${op.method} ${url.pathname} answered ${response.status}`,
        { details: { ...error?.details, status: response.status } },
      );
    }
    return body as R;
  }

  async close(): Promise<void> {
    await this.fallback?.close();
  }
}

function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === "ECONNREFUSED" || cause?.code === "ECONNRESET";
}
