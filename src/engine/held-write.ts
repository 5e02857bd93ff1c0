import type { KeelErrorCode } from "../core/errors/codes.js";
import { isKeelError } from "../core/errors/keel-error.js";
import type { Logger } from "./logger.js";

/**
 * A write the store refuses for a condition that passes is held here, in memory, and tried again
 * with backoff: a finished step is never thrown away for want of disk (`store_full`, until space
 * returns) or while the store file is being checked or repaired (`store_corrupt`: the store refuses
 * every write while it knows of damage). Any other error is thrown to the caller. `givingUp` (a
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
};

export async function writeHolding<T>(
  write: () => Promise<T>,
  options: { log: () => Logger; givingUp: () => boolean; onHeld?: (code: KeelErrorCode) => void },
): Promise<T> {
  let delay = 25;
  let heldFor: KeelErrorCode | undefined;
  for (;;) {
    try {
      const result = await write();
      if (heldFor) options.log().warn((waits[heldFor] as { back: string }).back);
      return result;
    } catch (error) {
      const code = isKeelError(error) ? (error.code as KeelErrorCode) : undefined;
      const wait = code && Object.hasOwn(waits, code) ? waits[code] : undefined;
      if (!code || !wait || options.givingUp()) throw error;
      if (heldFor !== code) options.log().warn({ err: error }, wait.held);
      heldFor = code;
      options.onHeld?.(heldFor);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
}
