import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { KeelError } from "../../core/errors/keel-error.js";

/**
 * Where the pool's child entry is: child.js next to this file once compiled. When keel runs from
 * its TypeScript sources (its own tests), the compiled entry in dist/ stands in, since a plain
 * `node` child cannot load .ts files.
 */
export function childEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const entry = here.endsWith(".ts")
    ? fileURLToPath(new URL("../../../dist/src/engine/isolation/child.js", import.meta.url))
    : fileURLToPath(new URL("./child.js", import.meta.url));
  if (!existsSync(entry))
    throw new KeelError(
      "worker_start_failed",
      `the worker process entry ${entry} is missing; build keel (npm run build) to run isolated steps`,
      { retryable: true, details: { entry } },
    );
  return entry;
}

/**
 * The node's own Node.js flags (a loader such as `--import tsx` carries over, so children load
 * what the node loads), without the inspector's: a child must not fight the node for its port.
 */
export function childExecArgv(): string[] {
  return process.execArgv.filter((arg) => !/^--(inspect|debug)/.test(arg));
}
