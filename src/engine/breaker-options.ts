import {
  breakerPolicyProblems,
  defaultBreakerPolicy,
  type BreakerPolicy,
} from "../core/breaker.js";
import { namePattern } from "../core/dag.js";
import { InvalidInputError } from "../core/errors/definition-errors.js";
import type { Pipeline } from "../core/pipeline.js";
import type { BreakerDefinition } from "../store/breakers.js";

/**
 * The breakers a node knows: those given to `keel({ breakers })` and those its pipelines' steps
 * `use`, the latter with the default policy. Resolved once, at start.
 */
export interface BreakerOptions {
  /** consecutive failures that open the breaker (default 5) */
  failureThreshold?: number;
  /** the longest wait before a trial request, in ms (default 60 000) */
  recoveryTimeoutMs?: number;
  /** trial requests while half-open; that many successes close it (default 3) */
  halfOpenRequests?: number;
  /** a cheap call to the dependency, run while the breaker is open: resolving means it is back */
  probe?: (signal: AbortSignal) => Promise<unknown>;
  /** ms between probes (default 200) */
  probeIntervalMs?: number;
  /** a probe that has not answered after this many ms failed (default 2000) */
  probeTimeoutMs?: number;
}

export interface ResolvedBreaker {
  readonly definition: BreakerDefinition;
  readonly probe: ((signal: AbortSignal) => Promise<unknown>) | undefined;
  readonly probeIntervalMs: number;
  readonly probeTimeoutMs: number;
}

const knownKeys = new Set([
  "failureThreshold",
  "recoveryTimeoutMs",
  "halfOpenRequests",
  "probe",
  "probeIntervalMs",
  "probeTimeoutMs",
]);

function resolveBreaker(name: string, options: BreakerOptions = {}): ResolvedBreaker {
  const fail = (problem: string): never => {
    throw new InvalidInputError(`breaker "${name}": ${problem}`, { breaker: name });
  };
  if (!namePattern.test(name)) fail("a breaker name is 1-64 letters, digits, '_', '.', '-'");
  for (const key of Object.keys(options))
    if (!knownKeys.has(key))
      fail(`unknown option "${key}"; known options: ${[...knownKeys].join(", ")}`);
  if (options.probe !== undefined && typeof options.probe !== "function")
    fail("probe must be a function returning a promise");
  const policy: BreakerPolicy = {
    failureThreshold: options.failureThreshold ?? defaultBreakerPolicy.failureThreshold,
    recoveryTimeoutMs: options.recoveryTimeoutMs ?? defaultBreakerPolicy.recoveryTimeoutMs,
    halfOpenRequests: options.halfOpenRequests ?? defaultBreakerPolicy.halfOpenRequests,
    probe: options.probe !== undefined,
  };
  const problems = breakerPolicyProblems(policy);
  const probeIntervalMs = options.probeIntervalMs ?? 200;
  const probeTimeoutMs = options.probeTimeoutMs ?? 2000;
  for (const [field, value] of [
    ["probeIntervalMs", probeIntervalMs],
    ["probeTimeoutMs", probeTimeoutMs],
  ] as const)
    if (!Number.isInteger(value) || value < 10 || value > 3_600_000)
      problems.push(`${field} must be a whole number from 10 to 3600000, got ${String(value)}`);
  if (problems.length > 0) fail(problems.join("; "));
  return Object.freeze({
    definition: Object.freeze({ name, ...policy }),
    probe: options.probe,
    probeIntervalMs,
    probeTimeoutMs,
  });
}

/** Configured breakers, plus every breaker a step uses, by name. */
export function resolveBreakers(
  options: Readonly<Record<string, BreakerOptions>> = {},
  pipelines: readonly Pipeline[] = [],
): Map<string, ResolvedBreaker> {
  const resolved = new Map<string, ResolvedBreaker>();
  for (const [name, o] of Object.entries(options)) resolved.set(name, resolveBreaker(name, o));
  for (const p of pipelines)
    for (const s of p.steps)
      for (const name of s.uses) if (!resolved.has(name)) resolved.set(name, resolveBreaker(name));
  return resolved;
}
