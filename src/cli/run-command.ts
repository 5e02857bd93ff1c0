import { isKeelError } from "../core/errors/keel-error.js";
import { storeFailure } from "../store/files.js";
import { UsageError } from "./output.js";
import { ExitCode } from "./exit-code.js";

export { ExitCode };

const usageCodes = new Set([
  "invalid_input",
  "unknown_pipeline",
  "invalid_pipeline",
  // a gate decision that cannot apply: nothing changed; `keel gates list` shows what waits
  "gate_not_open",
]);

export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.ok;
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

export function reportError(thrown: unknown): number {
  // a damaged page met mid-query is a driver error; say what it means and what to do
  const error = storeFailure(thrown) ?? thrown;
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n(run with --help for usage)\n`);
    return ExitCode.usage;
  }
  if (isKeelError(error)) {
    process.stderr.write(`error [${error.code}]: ${error.message}\n`);
    if (error.code === "tool_missing") return ExitCode.toolMissing;
    return usageCodes.has(error.code) ? ExitCode.usage : ExitCode.failed;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.KEEL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return ExitCode.failed;
}
