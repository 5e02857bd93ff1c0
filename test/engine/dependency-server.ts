// A real dependency for breaker tests: an HTTP server on 127.0.0.1 that a step calls, stopped
// and started again on the same port to make an outage and its end.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Dependency {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** requests answered, by path */
  readonly hits: Map<string, number>;
  up(): Promise<void>;
  /** answers every request with this status (503: an outage that still answers); null: 200 */
  answer(status: number | null): void;
  down(): Promise<void>;
  /** calls the dependency the way a step would: throws unless it answered 200 */
  call(path: string, signal?: AbortSignal): Promise<{ path: string; n: number }>;
}

export async function startDependency(): Promise<Dependency> {
  const hits = new Map<string, number>();
  let server: Server | undefined;
  let port = 0;
  let status: number | null = null;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((req, res) => {
        const path = req.url ?? "/";
        hits.set(path, (hits.get(path) ?? 0) + 1);
        res.setHeader("content-type", "application/json");
        res.setHeader("connection", "close");
        if (status !== null) res.statusCode = status;
        res.end(JSON.stringify({ path, n: hits.get(path) }));
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await listen();
  const dependency: Dependency = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    hits,
    up: listen,
    answer(next) {
      status = next;
    },
    down: () =>
      new Promise((resolve) => {
        const s = server;
        server = undefined;
        if (!s) return resolve();
        s.closeAllConnections();
        s.close(() => resolve());
      }),
    async call(path, signal) {
      let response: Response;
      try {
        response = await fetch(`${dependency.url}${path}`, { signal });
      } catch (error) {
        // fetch wraps the socket error (ECONNREFUSED...) in a TypeError: throw the real one
        throw (error as { cause?: unknown }).cause ?? error;
      }
      if (!response.ok) throw new Error(`dependency answered ${response.status}`);
      return (await response.json()) as { path: string; n: number };
    },
  };
  return dependency;
}
