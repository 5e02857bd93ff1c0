import { age, iso, keelFix } from "./command.js";
import type { DoctorCheck, Finding } from "./types.js";

/**
 * Alert deliveries that fail: a receiver whose oldest queued delivery was refused (no connection,
 * no answer in time, a non-2xx). Only its own queue waits, in order, and nothing is lost, but
 * nobody hears of the alerts queued behind it. With no alerts configured the outbox is empty
 * and the check finds nothing.
 */
export const deliveriesCheck: DoctorCheck = {
  name: "deliveries",
  description: "alert webhook deliveries failing: the receiver, how many wait, the last error",
  async run(ctx) {
    if (!ctx.store) return [];
    const failing = (await ctx.store.alertQueues()).filter((q) => q.head.attempts > 0);
    return failing.map((q): Finding => {
      const head = q.head;
      const rule = ruleOf(head.payload);
      return {
        check: "deliveries",
        severity: "warning",
        summary: `receiver ${q.receiver}: its oldest delivery failed ${head.attempts} time(s) (${head.lastError ?? "no error recorded"}); ${q.queued} delivery(ies) wait, the oldest queued ${age(ctx.now - head.createdAt)} ago`,
        evidence: {
          receiver: q.receiver,
          queued: q.queued,
          attempts: head.attempts,
          last_error: head.lastError,
          oldest: { delivery_id: head.deliveryId, rule, queued_at: iso(head.createdAt) },
          oldest_age_ms: Math.max(0, ctx.now - head.createdAt),
          next_attempt_at: iso(head.nextAt),
        },
        commands: [
          keelFix(ctx, `alerts show ${rule ?? "webhook_failing"}`),
          // retries go on by themselves, in order (backoff up to alerts.delivery.max_delay_ms)
          `# check receiver ${q.receiver} (alerts.receivers.${q.receiver} in keel.yaml): is it up, does it answer a POST with 2xx, does it have the secret`,
          keelFix(ctx, "health check alerts"),
        ],
      };
    });
  },
};

function ruleOf(payload: unknown): string | null {
  const rule = (payload as { rule?: unknown } | null)?.rule;
  return typeof rule === "string" ? rule : null;
}
