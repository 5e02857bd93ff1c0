import type { KeelErrorCode } from "../core/errors/codes.js";
import { isKeelError } from "../core/errors/keel-error.js";
import type { Logger } from "./logger.js";

/**
 * A write the store refuses for a condition that passes is held here, in memory, and tried again
 * with backoff: a finished step is never thrown away for want of disk (`store_full`, until space
 * returns), while the store file is being checked or repaired (`store_corrupt`: the store refuses
 * every write while it knows of damage), or while a store server is out of reach
 * (`store_unavailable`, retryable: the PostgreSQL store settles a write whose commit went
 * unanswered before it is tried again, so none is made twice). Any other error is thrown. `givingUp` (a
 * stop that cannot wait) ends the wait with the error.
 */
const waits: Partial<Record<KeelErrorCode, { held: string; back: string }>> = {
  store_full: {
    held: "disk full: holding the write and retrying until space returns",
    back: "disk space is back: held write committed",
  },
  store_corrupt: {
    held: "the store refuses writes while its file is damaged: holding the write until it is repaired",
    back: "the store is whole again: held write committed",
  },
  // only a server out of reach (retryable); a refused login or a missing right is thrown
  store_unavailable: {
    held: "the store is unreachable: holding the write in memory and retrying until it is back",
    back: "the store is reachable again: held write committed",
  },
};

/** how long a retry waits at most: a server away is asked less often than a full disk */
const maxDelayMs: Partial<Record<KeelErrorCode, number>> = { store_unavailable: 1000 };

export async function writeHolding<T>(
  write: () => Promise<T>,
  options: {
    log: () => Logger;
    givingUp: () => boolean;
    onHeld?: (code: KeelErrorCode, error: unknown) => void;
    /** the held write was written (`true`) or given up: called once, after onHeld */
    onDone?: (written: boolean) => void;
  },
): Promise<T> {
  let delay = 25;
  let heldFor: KeelErrorCode | undefined;
  for (;;) {
    try {
      const result = await write();
      if (heldFor) {
        options.log().warn((waits[heldFor] as { back: string }).back);
        options.onDone?.(true);
      }
      return result;
    } catch (error) {
      const code = isKeelError(error) ? (error.code as KeelErrorCode) : undefined;
      const wait = code && Object.hasOwn(waits, code) ? waits[code] : undefined;
      const passes = code !== "store_unavailable" || (isKeelError(error) && error.retryable);
      if (!code || !wait || !passes || options.givingUp()) {
        if (heldFor) options.onDone?.(false);
        throw error;
      }
      if (heldFor !== code) options.log().warn({ err: error }, wait.held);
      heldFor = code;
      options.onHeld?.(heldFor, error);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, maxDelayMs[code] ?? 100);
    }
  }
}
