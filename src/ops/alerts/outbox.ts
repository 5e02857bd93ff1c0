import type { Logger } from "pino";
import type { AlertDeliveryRecord } from "../../store/alerts.js";
import type { Store } from "../../store/store.js";
import { renderBody } from "./payload.js";
import type { Receiver } from "./receivers.js";
import { deliveryHeader, signBody, signatureHeader, timestampHeader } from "./signature.js";

export type DeliveryCounts = Map<string, number>;

export interface OutboxOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  dropAfterMs: number;
  random?: () => number;
  clock?: () => number;
}

/** how many deliveries one drain looks at: the heads of this many receivers' queues */
const headsPerDrain = 64;

/**
 * The outbox's sender: the head of each receiver's queue, when due, is POSTed with its signature;
 * a 2xx marks it delivered and lets the next one of that receiver go at once; anything else (an
 * error, a timeout, a non-2xx) schedules a retry after an exponential delay with jitter. A
 * receiver that is down holds back only its own queue. A delivery still failing `dropAfterMs`
 * after it was queued is dropped and counted. Deliveries to a receiver no longer configured wait.
 */
export class OutboxSender {
  /** receiver\u0000outcome -> count, for keel_alert_deliveries_total */
  readonly counts: DeliveryCounts = new Map();
  private readonly random: () => number;
  private readonly clock: () => number;

  constructor(
    private readonly store: Store,
    private readonly receivers: readonly Receiver[],
    private readonly options: OutboxOptions,
    private readonly log: Logger,
  ) {
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? Date.now;
  }

  /** sends what is due until nothing more is; the number delivered */
  async drain(stillHolder: () => boolean = () => true): Promise<number> {
    let delivered = 0;
    for (;;) {
      if (!stillHolder()) return delivered;
      const due = (await this.store.dueAlertDeliveries(this.clock(), headsPerDrain)).flatMap(
        (d) => {
          const receiver = this.receivers.find((r) => r.name === d.receiver);
          return receiver ? [{ d, receiver }] : [];
        },
      );
      if (due.length === 0) return delivered;
      const outcomes = await Promise.all(due.map(({ d, receiver }) => this.send(d, receiver)));
      const sent = outcomes.filter(Boolean).length;
      delivered += sent;
      if (sent === 0) return delivered;
    }
  }

  private async send(d: AlertDeliveryRecord, receiver: Receiver): Promise<boolean> {
    const body = renderBody(d.payload, receiver.format);
    const timestamp = Math.floor(this.clock() / 1000);
    let error: string;
    try {
      const response = await fetch(receiver.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "keel-alerts",
          [deliveryHeader]: d.deliveryId,
          [timestampHeader]: String(timestamp),
          [signatureHeader]: signBody(receiver.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(receiver.timeoutMs),
        redirect: "error",
      });
      // the body is not read for more than its status: a receiver's answer carries nothing for keel
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) {
        await this.store.finishAlertDelivery(d.id, { kind: "delivered", at: this.clock() });
        this.count(receiver.name, "delivered");
        return true;
      }
      error = `HTTP ${response.status}`;
    } catch (thrown) {
      error = describe(thrown, receiver.timeoutMs);
    }
    this.count(receiver.name, "failed");
    const now = this.clock();
    if (now - d.createdAt >= this.options.dropAfterMs) {
      await this.store.finishAlertDelivery(d.id, { kind: "dropped", at: now, error });
      this.count(receiver.name, "dropped");
      this.log.error(
        { receiver: receiver.name, delivery: d.deliveryId, attempts: d.attempts + 1, error },
        "alert delivery dropped: still failing after alerts.delivery.drop_after_ms",
      );
      return false;
    }
    const nextAt = now + this.delayMs(d.attempts + 1);
    await this.store.finishAlertDelivery(d.id, { kind: "retry", at: now, nextAt, error });
    this.log.warn(
      {
        receiver: receiver.name,
        delivery: d.deliveryId,
        attempts: d.attempts + 1,
        error,
        retryAt: new Date(nextAt).toISOString(),
      },
      "alert delivery failed; will retry",
    );
    return false;
  }

  /** exponential from base_delay_ms, capped, with jitter: between half and all of it */
  private delayMs(failedAttempts: number): number {
    const ceiling = Math.min(
      this.options.maxDelayMs,
      this.options.baseDelayMs * 2 ** Math.min(30, failedAttempts - 1),
    );
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private count(receiver: string, outcome: "delivered" | "failed" | "dropped"): void {
    const key = `${receiver}\u0000${outcome}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

function describe(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.message ?? String(error);
}
