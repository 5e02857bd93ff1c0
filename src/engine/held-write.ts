import { isStoreFull } from "../core/errors/store-errors.js";
import type { Logger } from "./logger.js";

/**
 * A write that failed because the disk is full is held here, in memory, and tried again with
 * backoff until space returns: a finished step is never thrown away for want of disk. Any other
 * error is thrown to the caller. `givingUp` (a forced stop) ends the wait with the error.
 */
export async function writeHolding<T>(
  write: () => Promise<T>,
  options: { log: () => Logger; givingUp: () => boolean; onHeld?: () => void },
): Promise<T> {
  let delay = 25;
  let warned = false;
  for (;;) {
    try {
      const result = await write();
      if (warned) options.log().warn("disk space is back: held write committed");
      return result;
    } catch (error) {
      if (!isStoreFull(error) || options.givingUp()) throw error;
      if (!warned)
        options
          .log()
          .warn({ err: error }, "disk full: holding the write and retrying until space returns");
      warned = true;
      options.onHeld?.();
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }
}
