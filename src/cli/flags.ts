import { parseSince } from "../core/duration.js";
import { isRunStatus, runStatuses, type RunStatus } from "../core/status.js";
import { InvalidArgumentError } from "commander";

/** Parsers for flag values; each names the flag in its error, and commander exits 2 with usage. */
export function intFlag(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(
        `${flag} must be a whole number from ${min} to ${max}, got "${value}"`,
      );
    return n;
  };
}

export function statusFlag(value: string): RunStatus {
  if (!isRunStatus(value))
    throw new InvalidArgumentError(
      `--status must be one of ${runStatuses.join(", ")}, got "${value}"`,
    );
  return value;
}

export function sinceFlag(value: string): number {
  try {
    return parseSince(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function jsonFlag(flag: string): (value: string) => unknown {
  return (value) => {
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      throw new InvalidArgumentError(
        `${flag} is not valid JSON (${(error as Error).message}); quote it for your shell, e.g. ${flag} '{"text":"hello"}'`,
      );
    }
  };
}
