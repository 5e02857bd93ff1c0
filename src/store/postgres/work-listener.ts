import { EventEmitter } from "node:events";
import type pg from "pg";
import { pgModule } from "./driver.js";
import { PgContext } from "./context.js";

/**
 * Wake-ups from other nodes: from the first listener on, one connection of its own LISTENs on
 * the store's channel until the store closes, and NOTIFYs naming this schema become "work" hints.
 * The caller's poll stays the floor. What was committed before the LISTEN took (or while the
 * connection was down) sent no notification this connection heard: each (re)connection gives
 * one hint of its own, so the caller looks. A dropped connection is opened again after a pause.
 */
export class WorkListener {
  readonly hints = new EventEmitter();
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly schema: string,
  ) {
    this.hints.setMaxListeners(0);
  }

  on(listener: () => void): () => void {
    this.hints.on("work", listener);
    if (!this.client && !this.retry) this.connect();
    return () => {
      this.hints.off("work", listener);
    };
  }

  emit(): void {
    this.hints.emit("work");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.hints.removeAllListeners();
    await this.disconnect();
  }

  private connect(): void {
    if (this.stopped) return;
    const client = new (pgModule().Client)({
      connectionString: this.url,
      application_name: `keel/${this.schema}`,
    });
    this.client = client;
    const lost = (): void => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      // whatever was notified meanwhile: the poll finds it, and so does this nudge
      this.emit();
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.connect();
      }, reconnectMs);
      this.retry.unref();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (n) => {
      if (n.payload === this.schema) this.emit();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${PgContext.channel}`))
      .then(() => this.emit())
      .catch(lost);
  }

  private async disconnect(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

const reconnectMs = 1000;
