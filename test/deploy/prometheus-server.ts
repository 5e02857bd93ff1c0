import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { requireTool } from "./tools.js";

/** A free port on 127.0.0.1, as the kernel hands one out. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PrometheusServer {
  child: ChildProcess;
  url: string;
  /** an instant query: the result, or the error Prometheus gave (a parse error among them) */
  query(expr: string): Promise<{ ok: boolean; result: unknown[]; error?: string }>;
  /** the exemplars Prometheus stored for a selector over the last `seconds` */
  exemplars(selector: string, seconds: number): Promise<Record<string, string>[]>;
  stop(): Promise<void>;
  output(): string;
}

/**
 * Debian's `prometheus` on a free port with its own storage folder under `dir`, scraping one keel
 * node every second with a bearer token from a file, and evaluating the given rule files.
 */
export async function startPrometheus(options: {
  dir: string;
  target: string;
  tokenFile: string;
  ruleFiles: string[];
}): Promise<PrometheusServer> {
  const port = await freePort();
  const config = join(options.dir, "prometheus.yml");
  mkdirSync(join(options.dir, "data"), { recursive: true });
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "rule_files:",
      ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
      "scrape_configs:",
      "  - job_name: keel",
      "    static_configs:",
      `      - targets: [${JSON.stringify(options.target)}]`,
      "    authorization:",
      "      type: Bearer",
      `      credentials_file: ${JSON.stringify(options.tokenFile)}`,
      "",
    ].join("\n"),
  );
  const child = spawn(
    requireTool("prometheus"),
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(options.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--enable-feature=exemplar-storage",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // ready once its TSDB is open and it serves queries
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${out}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`prometheus not ready after 30 s: ${out}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    child,
    url,
    output: () => out,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        data?: { result: unknown[] };
        error?: string;
      };
      return body.status === "success"
        ? { ok: true, result: body.data?.result ?? [] }
        : { ok: false, result: [], error: body.error ?? `HTTP ${res.status}` };
    },
    async exemplars(selector, seconds) {
      const end = Date.now() / 1000;
      const q = new URLSearchParams({
        query: selector,
        start: String(end - seconds),
        end: String(end),
      });
      const body = (await (await fetch(`${url}/api/v1/query_exemplars?${q}`)).json()) as {
        data?: { exemplars: { labels: Record<string, string> }[] }[];
      };
      return (body.data ?? []).flatMap((series) => series.exemplars.map((e) => e.labels));
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
