import { parseDurationMs } from "./duration.js";
import { PipelineDefinitionError } from "./errors/definition-errors.js";
import { step, type StepDef, type StepOptions } from "./pipeline.js";
import type { ApprovalPolicy, GateApproval, GateTimeoutPolicy } from "./approval-policy.js";

/**
 * An approval gate: a step that waits for a person. The node that reaches it records the gate as
 * open and lets the run go (pending, due at the timeout: no slot, lease or memory held); `keel
 * gates approve|reject` decides it and makes the run due at once. Approved, the steps after it
 * receive a GateApproval; rejected, the run is quarantined as `gate:<name>` and never retried.
 * At the timeout, `onTimeout` decides (default reject).
 */
export interface ApprovalGateOptions {
  after?: StepOptions["after"];
  /** `48h`, `30m`, or ms; default 48h (the human-wait critical threshold) */
  timeout?: string | number;
  onTimeout?: GateTimeoutPolicy;
  requires?: StepOptions["requires"];
  pool?: StepOptions["pool"];
}

export const defaultGateTimeoutMs = 48 * 3_600_000;
const knownOptions = new Set(["after", "timeout", "onTimeout", "requires", "pool"]);

export function approvalGate<const N extends string>(
  name: N,
  options: ApprovalGateOptions = {},
): StepDef<N, unknown, GateApproval, unknown, string> {
  for (const key of Object.keys(options))
    if (!knownOptions.has(key))
      fail(name, `unknown option "${key}"; known options: ${[...knownOptions].join(", ")}`);
  const approval: ApprovalPolicy = {
    timeoutMs: timeoutOf(name, options.timeout),
    onTimeout: policyOf(name, options.onTimeout),
  };
  const { after, requires, pool } = options;
  const def = step(name, { after: after ?? [], requires, pool, isolation: "inline" }, () => {
    // the engine decides a gate from the store; a direct call (a replay, a test) has no decision
    throw new Error(`approval gate "${name}" is decided by a person, not run`);
  });
  return Object.freeze({ ...def, approval }) as StepDef<N, unknown, GateApproval, unknown, string>;
}

function timeoutOf(gate: string, timeout: string | number | undefined): number {
  if (timeout === undefined) return defaultGateTimeoutMs;
  let ms: number;
  try {
    ms = typeof timeout === "number" ? timeout : parseDurationMs(timeout);
  } catch (error) {
    return fail(gate, `timeout: ${(error as Error).message}`);
  }
  if (!Number.isSafeInteger(ms) || ms <= 0)
    fail(gate, `timeout must be a positive duration, like "48h" or 3600000 (ms)`);
  return ms;
}

function policyOf(gate: string, policy: unknown): GateTimeoutPolicy {
  if (policy === undefined) return "reject";
  if (policy === "approve" || policy === "reject") return policy;
  return fail(gate, `onTimeout must be "approve" or "reject", got ${JSON.stringify(policy)}`);
}

function fail(gate: string, problem: string): never {
  throw new PipelineDefinitionError("(unassigned)", `approval gate "${gate}" ${problem}`, {
    step: gate,
  });
}
