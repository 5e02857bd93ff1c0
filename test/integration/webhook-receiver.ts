import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature } from "../../src/ops/alerts/signature.js";

/** What a webhook receiver got: the body, its headers, and whether the signature checked out. */
export interface Received {
  body: string;
  json: Record<string, unknown>;
  delivery: string;
  signed: boolean;
  answered: number | "late";
}

export type ReceiverMode = "ok" | "slow" | "error";

/**
 * A real HTTP receiver on 127.0.0.1 for alert deliveries, whose behaviour a test changes: down (not
 * listening, same port kept for later), slow (answers after `slowMs`), error (500), ok (204).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  mode: ReceiverMode = "ok";
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly secret: string,
    private readonly slowMs = 2000,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** listens (on the port it had before, if any) */
  async up(mode: ReceiverMode = "ok"): Promise<void> {
    this.mode = mode;
    if (this.server) return;
    const server = createServer((req, res) => {
      void this.handle(req).then((status) => {
        const answer = () => res.writeHead(status).end();
        if (this.mode === "slow") setTimeout(answer, this.slowMs).unref();
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<number> {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    const header = (name: string) => req.headers[name] as string | undefined;
    const status = this.mode === "error" ? 500 : 204;
    this.received.push({
      body,
      json: JSON.parse(body) as Record<string, unknown>,
      delivery: header("x-keel-delivery") ?? "",
      signed: verifySignature(
        this.secret,
        { signature: header("x-keel-signature"), timestamp: header("x-keel-timestamp") },
        body,
      ),
      answered: this.mode === "slow" ? "late" : status,
    });
    return status;
  }
}

/**
 * keel.yaml's `alerts:` for tests: evaluated every 200 ms, retried fast, one receiver "ops" at
 * `url` signing with $HOOK_SECRET; `rules` is the YAML of a `rules:` section's entries, if any.
 */
export function fastAlertsConfig(url: string, rules = ""): string {
  return `alerts:
  interval_ms: 200
  lease_ms: 2500
  delivery:
    base_delay_ms: 100
    max_delay_ms: 400
    drain_ms: 100
${rules ? `  rules:\n${rules}` : ""}  receivers:
    ops:
      url: ${url}
      secret_env: HOOK_SECRET
      timeout_ms: 1000
`;
}
