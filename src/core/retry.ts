/**
 * Retry policy and backoff math. Pure: the random source is passed in so tests and replays are
 * deterministic. Delays use "full jitter": uniform in [0, min(max, base * multiplier^(n-1))].
 */
export interface RetryPolicy {
  /** attempts in all, the first one included; 1 means "never retry" */
  maxAttempts: number;
  baseDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  jitter: "full" | "none";
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 60_000,
  jitter: "full",
});

/** The ceiling of the delay before retry number `failedAttempts` (1 = after the first failure). */
export function backoffCeilingMs(policy: RetryPolicy, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  // base 0 stays 0 (0 * Infinity would be NaN); whole ms, so a delay never passes its ceiling
  const raw =
    policy.baseDelayMs === 0 ? 0 : policy.baseDelayMs * Math.pow(policy.multiplier, exponent);
  return Math.floor(Math.min(policy.maxDelayMs, Number.isFinite(raw) ? raw : policy.maxDelayMs));
}

/** The delay before the next attempt, after `failedAttempts` failures. */
export function backoffDelayMs(
  policy: RetryPolicy,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeilingMs(policy, failedAttempts);
  if (policy.jitter === "none") return ceiling;
  return Math.floor(random() * (ceiling + 1));
}

export function shouldRetry(
  policy: RetryPolicy,
  failedAttempts: number,
  retryable: boolean,
): boolean {
  return retryable && failedAttempts < policy.maxAttempts;
}

export function resolveRetryPolicy(
  base: RetryPolicy,
  override: Partial<RetryPolicy> | undefined,
): RetryPolicy {
  const merged = { ...base, ...stripUndefined(override ?? {}) };
  validateRetryPolicy(merged);
  return Object.freeze(merged);
}

export function validateRetryPolicy(policy: RetryPolicy): void {
  const problems: string[] = [];
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1)
    problems.push("maxAttempts must be an integer >= 1");
  if (!(Number.isFinite(policy.baseDelayMs) && policy.baseDelayMs >= 0))
    problems.push("baseDelayMs must be a finite number >= 0");
  if (!(Number.isFinite(policy.multiplier) && policy.multiplier >= 1))
    problems.push("multiplier must be a finite number >= 1");
  if (!(Number.isFinite(policy.maxDelayMs) && policy.maxDelayMs >= policy.baseDelayMs))
    problems.push("maxDelayMs must be a finite number >= baseDelayMs");
  if (policy.jitter !== "full" && policy.jitter !== "none")
    problems.push('jitter must be "full" or "none"');
  if (problems.length > 0) throw new RangeError(`invalid retry policy: ${problems.join("; ")}`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
