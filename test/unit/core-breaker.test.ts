import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  breakerPolicyProblems,
  closedBreaker,
  defaultBreakerPolicy,
  moveBreaker,
  type BreakerEvent,
  type BreakerPolicy,
  type BreakerSnapshot,
} from "../../src/core/breaker.js";
import { pipeline, step } from "../../src/core/pipeline.js";

const policyArb: fc.Arbitrary<BreakerPolicy> = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 6 }),
  recoveryTimeoutMs: fc.integer({ min: 1, max: 5000 }),
  halfOpenRequests: fc.integer({ min: 1, max: 4 }),
  probe: fc.boolean(),
});

const eventArb: fc.Arbitrary<BreakerEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: "failure", code: "econnrefused" } as const) },
  { weight: 3, arbitrary: fc.constant({ kind: "success" } as const) },
  { weight: 3, arbitrary: fc.constant({ kind: "trial" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "probe_ok" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "trip", actor: "op", reason: "r" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset", actor: "op", note: null } as const) },
);

describe("breaker state machine", () => {
  it("keeps its invariants under any sequence of events", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 3000 })), { maxLength: 60 }),
        (policy, events) => {
          let s: BreakerSnapshot = { ...closedBreaker };
          let now = 0;
          let grantedSinceHalfOpen = 0;
          for (const [event, step] of events) {
            now += step;
            const m = moveBreaker(s, event, policy, now);
            if (m.transition) {
              expect(m.transition.from).toBe(s.state);
              expect(m.transition.to).toBe(m.next.state);
            }
            // trial slots are handed out anew only with a new deadline (half-opening, or a refill
            // after the recovery timeout): between two, at most halfOpenRequests trials run
            if (m.transition || m.next.nextAttemptAt !== s.nextAttemptAt) grantedSinceHalfOpen = 0;
            if (m.granted && m.next.state === "half_open") grantedSinceHalfOpen++;
            expect(grantedSinceHalfOpen).toBeLessThanOrEqual(policy.halfOpenRequests);
            // a change with no transition never changes the state
            if (!m.transition) expect(m.next.state).toBe(s.state);
            if (!m.changed) expect(m.next).toBe(s);
            s = m.next;
            expect(s.trialSlots).toBeGreaterThanOrEqual(0);
            if (s.manual) expect(s.state).toBe("open");
            if (s.state === "closed") {
              expect(s.failures).toBeLessThan(policy.failureThreshold);
              expect(s.openedAt).toBeNull();
            }
            if (s.state === "open") {
              expect(s.openedAt).not.toBeNull();
              expect(m.granted).toBe(false);
            }
            if (s.backoffMs > 0) expect(s.backoffMs).toBeLessThanOrEqual(policy.recoveryTimeoutMs);
          }
        },
      ),
    );
  });

  it("opens at the threshold and names the last error", () => {
    const policy = { ...defaultBreakerPolicy, failureThreshold: 2 };
    const one = moveBreaker(closedBreaker, { kind: "failure", code: "x" }, policy, 10);
    expect(one).toMatchObject({ transition: null, next: { failures: 1 } });
    const two = moveBreaker(one.next, { kind: "failure", code: "timeout" }, policy, 20);
    expect(two.transition).toEqual({
      from: "closed",
      to: "open",
      reason: "failure_threshold",
      message: "2 consecutive failures, the last timeout",
    });
    expect(two.next).toMatchObject({ openedAt: 20, nextAttemptAt: 1020, backoffMs: 1000 });
  });

  it("names the error's message with its code, and says which trial failed", () => {
    const policy = { ...defaultBreakerPolicy, failureThreshold: 1 };
    const failure = { kind: "failure", code: "error", message: "ext answered\n503" } as const;
    const opened = moveBreaker(closedBreaker, failure, policy, 0);
    expect(opened.transition?.message).toBe(
      "1 consecutive failures, the last error (ext answered 503)",
    );
    const trial = moveBreaker(opened.next, { kind: "trial" }, policy, 2000).next;
    const reopened = moveBreaker(trial, failure, policy, 2001);
    expect(reopened.next.reason).toBe("a trial request failed: error (ext answered 503)");
    const long = { kind: "failure", code: "error", message: "x".repeat(500) } as const;
    expect(moveBreaker(closedBreaker, long, policy, 0).next.reason?.length).toBeLessThan(260);
  });

  it("with a probe, waits the whole recovery timeout before a trial of its own", () => {
    const policy = { ...defaultBreakerPolicy, failureThreshold: 1, probe: true };
    const open = moveBreaker(closedBreaker, { kind: "failure", code: "x" }, policy, 0).next;
    expect(open.nextAttemptAt).toBe(60_000);
    const probed = moveBreaker(open, { kind: "probe_ok" }, policy, 300);
    expect(probed).toMatchObject({
      wake: { runs: 3, at: null },
      next: { state: "half_open", trialSlots: 3 },
    });
  });

  it("names each bad field of a policy", () => {
    expect(
      breakerPolicyProblems({
        failureThreshold: 0,
        recoveryTimeoutMs: 1.5,
        halfOpenRequests: 3,
        probe: false,
      }),
    ).toEqual([
      "failureThreshold must be a whole number from 1 to 1000000, got 0",
      "recoveryTimeoutMs must be a whole number from 1 to 86400000, got 1.5",
    ]);
  });
});

describe("step uses and fallback", () => {
  it("keeps uses and fallback on the definition and in the version", () => {
    const plain = step("s", () => 1);
    const guarded = step("s", { uses: ["api", "api"], fallback: () => 0 }, () => 1);
    expect(guarded.uses).toEqual(["api"]);
    expect(typeof guarded.fallback).toBe("function");
    expect(plain.uses).toEqual([]);
    expect(pipeline("p", [plain]).version).not.toBe(pipeline("p", [guarded]).version);
  });

  it("refuses a bad dependency name or a fallback that is not a function", () => {
    expect(() => step("s", { uses: ["bad name"] }, () => 1)).toThrow(/dependency name/);
    expect(() => step("s", { uses: "api" as never }, () => 1)).toThrow(/list of dependency/);
    expect(() => step("s", { fallback: 1 as never }, () => 1)).toThrow(/fallback must be/);
  });
});
