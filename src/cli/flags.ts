import { namePattern } from "../core/dag.js";
import { parseSince } from "../core/duration.js";
import { depthMessage, nestsDeeperThan } from "../core/json-depth.js";
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(value) as unknown;
    } catch (error) {
      throw new InvalidArgumentError(
        `${flag} is not valid JSON (${(error as Error).message}); quote it for your shell, e.g. ${flag} '{"text":"hello"}'`,
      );
    }
    if (nestsDeeperThan(parsed)) throw new InvalidArgumentError(`${flag} is ${depthMessage()}`);
    return parsed;
  };
}

/** Free text an operator must give (a reason, a note): not empty, not only spaces. */
export function textFlag(flag: string, example: string): (value: string) => string {
  return (value) => {
    const text = value.trim();
    if (!text)
      throw new InvalidArgumentError(`${flag} must not be empty, e.g. ${flag} "${example}"`);
    if (text.length > 1000)
      throw new InvalidArgumentError(`${flag} is ${text.length} characters; keep it under 1000`);
    return text;
  };
}

export function stepFlag(value: string): string {
  if (!namePattern.test(value))
    throw new InvalidArgumentError(
      `--from-step "${value}" is not a step name (1-64 letters, digits, '_', '.', '-')`,
    );
  return value;
}

/** a parsed --since (epoch ms) as the operations take it: an ISO time, or nothing */
export function sinceQuery(since: number | undefined): string | undefined {
  return since === undefined ? undefined : new Date(since).toISOString();
}
