import { readEmergency } from "../../../engine/emergency.js";
import type { Condition } from "./condition.js";
import { quiet, seconds, worstOf } from "./condition.js";

/** Conditions on keel's guards: breakers, the emergency stop, the disk, the store, the outbox. */
export const breakerOpen: Condition = async (f, rule) => {
  const open = (await f.store.listBreakers()).filter(
    (b) => b.state !== "closed" && b.openedAt !== null,
  );
  const worst = worstOf(open, (b) => f.now - (b.openedAt ?? f.now));
  if (!worst) return quiet("no breaker is open", 0);
  const openS = seconds(f.now - (worst.openedAt ?? f.now));
  return {
    holds: openS > rule.threshold,
    value: openS,
    summary: `breaker ${worst.name} has been ${worst.state} for ${openS} s (threshold ${rule.threshold} s)${worst.reason ? `: ${worst.reason}` : ""}; see \`keel breakers list\``,
    labels: { breaker: worst.name },
  };
};

export const emergencyStop: Condition = async (f) => {
  const stop = await readEmergency(f.store);
  if (!stop.on) return quiet("the emergency stop is off", 0);
  return {
    holds: true,
    value: 1,
    summary: `the emergency stop is on (set by ${stop.actor ?? "unknown"}: ${stop.reason ?? "no reason"}); no node starts a step until \`keel emergency off\``,
  };
};

export const diskWarn: Condition = async (f) => diskIn(f.live?.disk, "warn");
export const diskPaused: Condition = async (f) => diskIn(f.live?.disk, "paused");

function diskIn(
  disk: { state: string; reason: string } | undefined,
  state: "warn" | "paused",
): ReturnType<Condition> {
  if (!disk) return Promise.resolve(quiet("the disk guard is off on the evaluating node"));
  return Promise.resolve({ holds: disk.state === state, value: null, summary: disk.reason });
}

export const storeDamaged: Condition = async (f) => {
  const storage = f.live?.storage;
  if (!storage) return quiet("no store watch on the evaluating node");
  return {
    holds: storage.state === "damaged",
    value: storage.findings.length,
    summary:
      storage.state === "damaged"
        ? `${storage.reason}; see \`keel health check store\` and docs/operations.md`
        : storage.reason,
  };
};

export const webhookFailing: Condition = async (f, rule) => {
  const queues = await f.store.alertQueues();
  const worst = worstOf(queues, (q) => q.head.attempts);
  if (!worst) return quiet("no delivery is queued", 0);
  return {
    holds: worst.head.attempts >= rule.threshold,
    value: worst.head.attempts,
    summary: `receiver ${worst.receiver}: its oldest delivery failed ${worst.head.attempts} times (${worst.head.lastError ?? "no error yet"}), ${worst.queued} queued behind it`,
    labels: { receiver: worst.receiver },
  };
};
