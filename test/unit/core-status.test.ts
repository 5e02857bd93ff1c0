import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { IllegalTransitionError } from "../../src/core/errors/run-errors.js";
import {
  assertTransition,
  isLegalRunTransition,
  isLegalStepTransition,
  isRunStatus,
  runStatuses,
  stepStatuses,
  terminalRunStatuses,
  type RunStatus,
  type StepStatus,
} from "../../src/core/status.js";

// The expected tables, written out independently of src/core/status.ts: "from" -> the legal "to"s.
const expectedRun: Record<RunStatus, readonly RunStatus[]> = {
  pending: ["running", "cancelled"],
  running: ["pending", "succeeded", "quarantined", "cancelled"],
  succeeded: ["pending"],
  quarantined: ["pending"],
  cancelled: ["pending"],
};

const expectedStep: Record<StepStatus, readonly StepStatus[]> = {
  pending: ["running", "cancelled"],
  running: ["succeeded", "failed", "pending", "cancelled"],
  failed: ["running", "pending", "cancelled"],
  succeeded: ["pending"],
  cancelled: ["pending"],
};

const allRun: RunStatus[] = ["pending", "running", "succeeded", "quarantined", "cancelled"];
const allStep: StepStatus[] = ["pending", "running", "succeeded", "failed", "cancelled"];
const terminalSteps: ReadonlySet<StepStatus> = new Set(["succeeded", "cancelled"]);

const runStatus = fc.constantFrom(...allRun);
const stepStatus = fc.constantFrom(...allStep);

describe("status lists", () => {
  it("lists exactly the expected run and step statuses", () => {
    expect([...runStatuses].sort()).toEqual([...allRun].sort());
    expect([...stepStatuses].sort()).toEqual([...allStep].sort());
    expect([...terminalRunStatuses].sort()).toEqual(["cancelled", "quarantined", "succeeded"]);
  });

  it("isRunStatus accepts run statuses and rejects everything else", () => {
    for (const s of allRun) expect(isRunStatus(s)).toBe(true);
    for (const v of ["failed", "PENDING", "", " pending", null, undefined, 1, {}, ["pending"]])
      expect(isRunStatus(v)).toBe(false);
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(isRunStatus(s)).toBe((allRun as string[]).includes(s));
      }),
    );
  });
});

describe("run transitions", () => {
  it("match the expected table for every pair (exhaustive)", () => {
    let legal = 0;
    for (const from of allRun) {
      for (const to of allRun) {
        const want = expectedRun[from].includes(to);
        expect(isLegalRunTransition(from, to), `${from} -> ${to}`).toBe(want);
        if (want) legal++;
      }
    }
    expect(legal).toBe(9);
  });

  it("match the expected table for random pairs", () => {
    fc.assert(
      fc.property(runStatus, runStatus, (from, to) => {
        expect(isLegalRunTransition(from, to)).toBe(expectedRun[from].includes(to));
      }),
    );
  });

  it("terminal statuses only go to pending", () => {
    fc.assert(
      fc.property(fc.constantFrom(...terminalRunStatuses), runStatus, (from, to) => {
        expect(isLegalRunTransition(from, to)).toBe(to === "pending");
      }),
    );
  });

  it("no status goes to itself", () => {
    fc.assert(
      fc.property(runStatus, (s) => {
        expect(isLegalRunTransition(s, s)).toBe(false);
      }),
    );
  });

  it("a finished run can only get back to a terminal status through pending and running", () => {
    for (const t of terminalRunStatuses) {
      for (const u of terminalRunStatuses) expect(isLegalRunTransition(t, u)).toBe(false);
      expect(isLegalRunTransition("pending", t)).toBe(t === "cancelled");
    }
  });

  it("random walks over legal transitions never take an illegal pair", () => {
    fc.assert(
      fc.property(runStatus, fc.array(fc.nat(), { maxLength: 60 }), (start, choices) => {
        let current = start;
        for (const c of choices) {
          const options = allRun.filter((to) => isLegalRunTransition(current, to));
          expect(options.length).toBeGreaterThan(0); // no dead ends
          const next = options[c % options.length] as RunStatus;
          expect(expectedRun[current]).toContain(next);
          expect(next).not.toBe(current);
          current = next;
        }
      }),
    );
  });
});

describe("step transitions", () => {
  it("match the expected table for every pair (exhaustive)", () => {
    let legal = 0;
    for (const from of allStep) {
      for (const to of allStep) {
        const want = expectedStep[from].includes(to);
        expect(isLegalStepTransition(from, to), `${from} -> ${to}`).toBe(want);
        if (want) legal++;
      }
    }
    expect(legal).toBe(11);
  });

  it("match the expected table for random pairs", () => {
    fc.assert(
      fc.property(stepStatus, stepStatus, (from, to) => {
        expect(isLegalStepTransition(from, to)).toBe(expectedStep[from].includes(to));
      }),
    );
  });

  it("terminal step statuses (succeeded, cancelled) only go to pending", () => {
    fc.assert(
      fc.property(fc.constantFrom(...terminalSteps), stepStatus, (from, to) => {
        expect(isLegalStepTransition(from, to)).toBe(to === "pending");
      }),
    );
  });

  it("a failed step can be retried but never jumps straight to succeeded", () => {
    expect(isLegalStepTransition("failed", "running")).toBe(true);
    expect(isLegalStepTransition("failed", "succeeded")).toBe(false);
    expect(isLegalStepTransition("pending", "succeeded")).toBe(false);
    expect(isLegalStepTransition("pending", "failed")).toBe(false);
  });

  it("no status goes to itself", () => {
    fc.assert(
      fc.property(stepStatus, (s) => {
        expect(isLegalStepTransition(s, s)).toBe(false);
      }),
    );
  });

  it("random walks over legal transitions never take an illegal pair, and reach succeeded only from running", () => {
    fc.assert(
      fc.property(stepStatus, fc.array(fc.nat(), { maxLength: 60 }), (start, choices) => {
        let current = start;
        for (const c of choices) {
          const options = allStep.filter((to) => isLegalStepTransition(current, to));
          expect(options.length).toBeGreaterThan(0);
          const next = options[c % options.length] as StepStatus;
          expect(expectedStep[current]).toContain(next);
          if (next === "succeeded") expect(current).toBe("running");
          current = next;
        }
      }),
    );
  });
});

describe("assertTransition, the store's one check", () => {
  it("lets every listed pair through and throws IllegalTransitionError for every other", () => {
    for (const from of runStatuses)
      for (const to of runStatuses) {
        const check = () => assertTransition("run", from, to, "run_1");
        if (expectedRun[from].includes(to)) expect(check).not.toThrow();
        else expect(check).toThrow(IllegalTransitionError);
      }
    for (const from of stepStatuses)
      for (const to of stepStatuses) {
        const check = () => assertTransition("step", from, to);
        if (expectedStep[from].includes(to)) expect(check).not.toThrow();
        else expect(check).toThrow(IllegalTransitionError);
      }
  });

  it("creates runs pending only, never steps, and refuses statuses it does not know", () => {
    expect(() => assertTransition("run", null, "pending")).not.toThrow();
    expect(() => assertTransition("run", null, "running")).toThrow(
      /illegal run transition \(new\) -> running/,
    );
    expect(() => assertTransition("step", null, "pending")).toThrow(IllegalTransitionError);
    expect(() => assertTransition("run", "pending", "done")).toThrow(/pending -> done/);
    expect(() => assertTransition("step", "failed", "succeeded", "run_9")).toThrow(/for run_9/);
  });
});
