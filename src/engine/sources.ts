import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { Cron } from "croner";
import { toJsonData } from "../core/canonical-json.js";
import { parseDurationMs } from "../core/duration.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { SourceDefinition } from "../store/sources.js";

/**
 * A source as declared in code (`keel({ sources: [...] })`) or in keel.yaml: exactly one of
 * `cron` and `every`, or neither for a manual source (runs only when triggered).
 */
export interface SourceSpec {
  name: string;
  pipeline: string;
  /** a cron expression: 5 fields, or 6 with seconds first ("* * * * * *") */
  cron?: string;
  /** an interval: "30s", "5m", or milliseconds */
  every?: string | number;
  /** the input of every run it creates; default {} */
  input?: unknown;
  /** the cron expression's time zone (IANA name); default the node's */
  timezone?: string;
  /** a directory: each new file in it (polled every 500 ms) submits one run */
  watch?: string;
  /**
   * the priority of the runs it creates (default 0); below `deferBelowPriority` they wait while the
   * node is under CPU pressure. Kept by the node that ticks the source, not in the store.
   */
  priority?: number;
}

/** The run priority of each source that sets one, by name (kept by the node, not stored). */
export function sourcePriorities(specs: readonly SourceSpec[]): Map<string, number> {
  return new Map(specs.flatMap((s) => (s.priority === undefined ? [] : [[s.name, s.priority]])));
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks a spec and turns it into the stored definition; errors name the source. */
export function sourceDefinition(spec: SourceSpec): SourceDefinition {
  const name = spec?.name;
  if (typeof name !== "string" || !namePattern.test(name))
    throw new InvalidInputError(
      `source name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" or "-" (at most 128)`,
      { field: "name" },
    );
  if (typeof spec.pipeline !== "string" || spec.pipeline.length === 0)
    throw new InvalidInputError(`source "${name}" needs a pipeline`, { source: name });
  if (spec.cron !== undefined && spec.every !== undefined)
    throw new InvalidInputError(`source "${name}" has both cron and every; give one of them`, {
      source: name,
    });
  if (
    spec.priority !== undefined &&
    (!Number.isInteger(spec.priority) || Math.abs(spec.priority) > 1_000_000)
  )
    throw new InvalidInputError(
      `source "${name}": priority must be a whole number from -1000000 to 1000000, got ${String(spec.priority)}`,
      { source: name, field: "priority" },
    );
  const input = toJsonData(spec.input === undefined ? {} : spec.input);
  if (spec.watch !== undefined) {
    if (spec.cron !== undefined || spec.every !== undefined)
      throw new InvalidInputError(
        `source "${name}" has watch with cron or every; a watch source takes neither`,
        { source: name },
      );
    if (typeof spec.watch !== "string" || spec.watch.length === 0)
      throw new InvalidInputError(`source "${name}": watch must be a directory path`, {
        source: name,
      });
    const dir = resolve(spec.watch);
    return { name, kind: "watch", pipeline: spec.pipeline, schedule: dir, input, timezone: null };
  }
  const timezone = spec.timezone ?? null;
  if (spec.cron !== undefined) {
    checkCron(name, spec.cron, timezone);
    return { name, kind: "cron", pipeline: spec.pipeline, schedule: spec.cron, input, timezone };
  }
  if (spec.every !== undefined) {
    const ms = intervalMs(name, spec.every);
    return {
      name,
      kind: "interval",
      pipeline: spec.pipeline,
      schedule: String(ms),
      input,
      timezone,
    };
  }
  return { name, kind: "manual", pipeline: spec.pipeline, schedule: null, input, timezone };
}

export function checkCron(name: string, expression: string, timezone: string | null): void {
  try {
    cronOf(expression, timezone).nextRun();
  } catch (error) {
    throw new InvalidInputError(
      `source "${name}": invalid cron expression "${expression}": ${(error as Error).message}`,
      { source: name, cron: expression },
      error,
    );
  }
}

function intervalMs(name: string, every: string | number): number {
  let ms: number;
  try {
    ms = typeof every === "number" ? every : parseDurationMs(every);
  } catch (error) {
    throw new InvalidInputError(
      `source "${name}": every: ${(error as Error).message}`,
      { source: name },
      error,
    );
  }
  if (!Number.isInteger(ms) || ms < 10)
    throw new InvalidInputError(`source "${name}": every must be at least 10ms`, {
      source: name,
    });
  return ms;
}

function cronOf(expression: string, timezone: string | null): Cron {
  return new Cron(expression, { paused: true, ...(timezone ? { timezone } : {}) });
}

/** The first tick strictly after `after`, or null (a cron with no future time). */
export function nextTick(def: SourceDefinition, after: number): number | null {
  if (def.kind === "interval") {
    // aligned to multiples of the interval since the epoch: every node computes the same ticks
    const every = Number(def.schedule);
    return (Math.floor(after / every) + 1) * every;
  }
  if (def.kind === "cron" && def.schedule) {
    const next = cronOf(def.schedule, def.timezone).nextRun(new Date(after));
    return next ? next.getTime() : null;
  }
  return null;
}

/**
 * The most recent tick in (lastTick, now], or null: the one catch-up tick a node runs at start
 * for the times no node was running. Older missed ticks are skipped.
 */
export function missedTick(def: SourceDefinition, lastTick: number, now: number): number | null {
  let latest: number | null = null;
  if (def.kind === "interval") {
    const every = Number(def.schedule);
    const candidate = Math.floor(now / every) * every;
    return candidate > lastTick ? candidate : null;
  }
  let at = lastTick;
  for (let i = 0; i < 100_000; i++) {
    const next = nextTick(def, at);
    if (next === null || next > now) return latest;
    latest = next;
    at = next;
  }
  return latest;
}

/** The idempotency key of a tick: the same on every node, so a tick makes its run once. */
export function tickKey(name: string, tickAt: number): string {
  return `source:${name}:${new Date(tickAt).toISOString()}`;
}

/** How often a watch source lists its directory, ms. */
export const watchPollMs = 500;

/**
 * The idempotency key of a file seen by a watch source: its name, size and modification time, so a
 * file creates its run once across nodes and restarts, and a rewritten file creates another.
 */
export function fileKey(name: string, file: string, size: number, mtimeMs: number): string {
  const key = `source:${name}:file:${file}:${Math.trunc(mtimeMs)}:${size}`;
  if (key.length <= 256) return key;
  const digest = createHash("sha256").update(key).digest("hex");
  return `source:${name}:file-sha256:${digest}`;
}
