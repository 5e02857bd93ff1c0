import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { embedText } from "./steps/embedding.js";

/**
 * A small local embedding service, the demo's stand-in for a remote embedding API: POST /embed
 * `{ texts: string[] }` answers `{ embeddings: [{ terms, vector }] }` (the same feature hashing as
 * the step's local code), GET /health answers 200. Run it alone to have a dependency to stop:
 *
 *   node dist/examples/document-analysis/embedding-service.js [port]   (default 7431)
 */
export const defaultEmbeddingPort = 7431;

export interface EmbeddingService {
  readonly url: string;
  close(): Promise<void>;
}

export function startEmbeddingService(
  port = defaultEmbeddingPort,
  host = "127.0.0.1",
): Promise<EmbeddingService> {
  const server = createServer((req, res) => {
    res.setHeader("connection", "close");
    if (req.method === "GET" && req.url === "/health") return void res.end("ok\n");
    if (req.method !== "POST" || req.url !== "/embed") {
      res.statusCode = 404;
      return void res.end();
    }
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      let texts: unknown;
      try {
        texts = (JSON.parse(body) as { texts?: unknown }).texts;
      } catch {
        texts = undefined;
      }
      if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
        res.statusCode = 400;
        return void res.end('{"error":"expected { texts: string[] }"}\n');
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ embeddings: texts.map((t: string) => embedText(t)) }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${bound}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? defaultEmbeddingPort);
  const service = await startEmbeddingService(port);
  process.stdout.write(`embedding service on ${service.url} (Ctrl-C stops it)\n`);
  process.once("SIGINT", () => void service.close().then(() => process.exit(0)));
  process.once("SIGTERM", () => void service.close().then(() => process.exit(0)));
}
