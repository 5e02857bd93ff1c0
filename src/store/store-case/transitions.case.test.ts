import { describe, expect, it } from "vitest";
import { isKeelError } from "../../core/errors/keel-error.js";
import {
  isLegalRunTransition,
  isLegalStepTransition,
  runStatuses,
  stepStatuses,
  type RunStatus,
} from "../../core/status.js";
import type { Lease } from "../records.js";
import type { Store } from "../store.js";
import { tamperOf, type MaintenanceHandle, type StoreTamper } from "./maintenance.case.test.js";
import {
  NOW,
  checkpoint,
  claim,
  claimedRun,
  errorInfo,
  snapshot,
  soloPipeline,
} from "./helpers.case.test.js";

/**
 * The transition table of core/status.ts, walked through the Store interface: for every (from, to)
 * pair, each write that can move a run to `to` is tried on a run put in `from` by the tamper
 * handle. A legal pair must be made by at least one of them; any other pair must be refused by
 * all of them (a typed error, or a claim that does not pick the run) with nothing stored changed.
 */
type Attempt = (
  store: Store,
  target: { runId: string; pipeline: string; lease: Lease },
) => Promise<boolean>;

const LATER = NOW + 1000;

const writesTo: Record<RunStatus, Record<string, Attempt>> = {
  pending: {
    retry: async (s, t) => {
      await s.retryRun(t.runId, { clearSteps: ["a"], note: "walk", actor: "tester", now: LATER });
      return true;
    },
    reschedule: async (s, t) => (await s.rescheduleRun(t.lease, LATER, "retry", LATER), true),
    return: async (s, t) => (await s.returnRun(t.lease, "stopping", LATER), true),
    defer: async (s, t) => (await s.deferRun(t.lease, "walk-breaker", LATER, LATER), true),
  },
  running: {
    claim: async (s, t) =>
      (await claim(s, { pipelines: [t.pipeline], now: LATER })).some((c) => c.run.id === t.runId),
  },
  succeeded: {
    complete: async (s, t) => (await s.completeStep(t.lease, checkpoint("a"), { done: 1 }), true),
  },
  quarantined: {
    quarantine: async (s, t) => (
      await s.quarantineRun(t.lease, "max_attempts", errorInfo("boom"), LATER),
      true
    ),
  },
  cancelled: {
    cancel: async (s, t) => (
      await s.cancelRun(t.runId, { reason: "walk", actor: "tester", at: LATER }),
      true
    ),
  },
};

/** A run claimed (so its lease is the one the node-side writes show), then put in `from`. */
async function runIn(store: Store, tamper: StoreTamper, from: RunStatus) {
  const pipeline = soloPipeline();
  const { lease } = await claimedRun(store, {}, { pipeline });
  if (from !== "running") await tamper.setRunFields(lease.runId, { status: from });
  return { runId: lease.runId, pipeline, lease };
}

/** Runs `attempt`; true when it made the change, false when it was refused. */
async function outcome(attempt: () => Promise<boolean>): Promise<boolean> {
  try {
    return await attempt();
  } catch (error) {
    // refusals are the store's typed errors, never a driver's
    expect(isKeelError(error), String(error)).toBe(true);
    expect(["illegal_transition", "lease_lost"]).toContain((error as { code: string }).code);
    return false;
  }
}

export function transitionCases(h: MaintenanceHandle): void {
  describe("the transition table", () => {
    for (const from of runStatuses) {
      for (const to of runStatuses) {
        const legal = isLegalRunTransition(from, to);
        it(`run ${from} -> ${to} is ${legal ? "made" : "refused"}`, async (t) => {
          const tamper = tamperOf(h, t);
          const made: string[] = [];
          for (const [name, attempt] of Object.entries(writesTo[to])) {
            const target = await runIn(h.store, tamper, from);
            const before = await snapshot(h.store, target.runId);
            if (await outcome(() => attempt(h.store, target))) {
              made.push(name);
              const after = await snapshot(h.store, target.runId);
              expect(after.run?.status).toBe(to);
              expect(after.transitions.at(-1)).toMatchObject({ step: null, from, to });
            } else {
              expect(await snapshot(h.store, target.runId)).toEqual(before);
            }
          }
          if (legal) expect(made, `no write made ${from} -> ${to}`).not.toEqual([]);
          else expect(made, `${from} -> ${to} was let through`).toEqual([]);
        });
      }
    }

    // the store keeps no step status of its own: a step write names the status it leaves, and
    // startStep is the write whose caller names it; the others leave running by their meaning
    for (const from of stepStatuses) {
      const legal = isLegalStepTransition(from, "running");
      it(`step ${from} -> running is ${legal ? "made" : "refused"}`, async () => {
        const { lease } = await claimedRun(h.store);
        const before = await snapshot(h.store, lease.runId);
        const made = await outcome(async () => {
          // the type allows only the legal ones; a caller without types can pass any
          await h.store.startStep(lease, "a", 1, from as "pending", NOW + 10);
          return true;
        });
        expect(made).toBe(legal);
        const after = await snapshot(h.store, lease.runId);
        if (legal)
          expect(after.transitions.at(-1)).toMatchObject({ step: "a", from, to: "running" });
        else expect(after).toEqual(before);
      });
    }

    it("refuses a step status the table does not know", async () => {
      const { lease } = await claimedRun(h.store);
      const before = await snapshot(h.store, lease.runId);
      expect(
        await outcome(
          async () => (await h.store.startStep(lease, "a", 1, "done" as "pending", NOW), true),
        ),
      ).toBe(false);
      expect(await snapshot(h.store, lease.runId)).toEqual(before);
    });
  });
}
