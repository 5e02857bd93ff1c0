import type { JsonValue } from "./canonical-json.js";
import { PermanentError } from "./errors/permanent-error.js";
import { step, type AnyStep, type StepOptions } from "./pipeline.js";
import type { StepContext } from "./step-context.js";

/**
 * A quality gate: a step whose function is a predicate over its upstream outputs. It passes
 * (its output says so, with the evidence), or fails the run at once: quarantined with reason
 * `gate:<name>` and the evidence in the error, never retried (the same outputs fail it again).
 */
export type GateVerdict = boolean | { pass: boolean; evidence?: JsonValue };

export class GateFailedError extends PermanentError {
  readonly isGateFailedError = true;
  constructor(
    gate: string,
    readonly evidence: JsonValue,
  ) {
    super(`quality gate "${gate}" failed: ${JSON.stringify(evidence)}`, `gate:${gate}`);
  }
}

export function qualityGate<I>(
  name: string,
  options: Omit<StepOptions<I, unknown>, "fallback" | "retry">,
  check: (input: I, ctx: StepContext) => GateVerdict | Promise<GateVerdict>,
): AnyStep {
  return step(name, options as StepOptions, async (ctx, input) => {
    const verdict = await check(input as I, ctx);
    const { pass, evidence = null } = typeof verdict === "boolean" ? { pass: verdict } : verdict;
    if (!pass) throw new GateFailedError(name, evidence);
    return { gate: name, passed: true, evidence };
  });
}
