import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../core/canonical-json.js";
import { runStatuses, type RunStatus } from "../../core/status.js";
import type { RunRecord } from "../records.js";
import { errorMessageChars, pageBudgetBytes, summaryValueBytes } from "../run-summary.js";
import type { RunQuery, Store } from "../store.js";
import {
  NOW,
  claimOne,
  claimedRun,
  newRun,
  only,
  runIdAt,
  runInStatus,
  submit,
  submitMany,
  type StoreHandle,
} from "./helpers.case.test.js";

/** Follows nextCursor to the end; every page must be non-empty and within the limit. */
async function allPages(store: Store, query: RunQuery): Promise<RunRecord[][]> {
  const pages: RunRecord[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.listRuns({ ...query, cursor });
    expect(page.runs.length).toBeGreaterThan(0);
    expect(page.runs.length).toBeLessThanOrEqual(query.limit);
    pages.push(page.runs);
    if (page.nextCursor === null) return pages;
    expect(pages.length).toBeLessThan(1000);
    cursor = page.nextCursor;
  }
}

const newestFirst = (runs: readonly RunRecord[]): string[] =>
  runs
    .map((r) => r.id)
    .sort()
    .reverse();

export function submitCases(h: StoreHandle): void {
  describe("submitRuns and getRun", () => {
    it("creates a pending run with every field, and a submitted transition", async () => {
      const input = {
        text: "héllo ✓",
        list: [1, 2.5, -3, null, true, false],
        nested: { deep: { "": "" } },
      };
      const nr = newRun({
        input,
        priority: 3,
        idempotencyKey: "key-1",
        source: "api",
        seed: 4_294_967_295,
        scheduledFor: NOW + 5000,
        createdAt: NOW,
        actor: "alice",
      });
      const result = only(await h.store.submitRuns([nr]));
      const expected: RunRecord = {
        id: nr.id,
        pipeline: "p1",
        pipelineVersion: "v1",
        status: "pending",
        input,
        output: null,
        error: null,
        quarantineReason: null,
        priority: 3,
        idempotencyKey: "key-1",
        source: "api",
        traceId: nr.traceId,
        seed: 4_294_967_295,
        attempts: 0,
        stepAttempts: {},
        scheduledFor: NOW + 5000,
        createdAt: NOW,
        updatedAt: NOW,
        startedAt: null,
        finishedAt: null,
        nodeId: null,
        leaseEpoch: 0,
        leaseExpiresAt: null,
      };
      expect(result).toEqual({ run: expected, created: true });
      expect(await h.store.getRun(nr.id)).toEqual(expected);
      const transitions = await h.store.listTransitions(nr.id);
      expect(transitions).toMatchObject([
        {
          runId: nr.id,
          step: null,
          from: null,
          to: "pending",
          reason: "submitted",
          actor: "alice",
          at: NOW,
          traceId: nr.traceId,
        },
      ]);
      expect(typeof transitions[0]?.id).toBe("number");
      expect(await h.store.listStepResults(nr.id)).toEqual([]);
    });

    it("round-trips inputs of every JSON shape, strings that look like JSON included", async () => {
      const inputs: JsonValue[] = [
        null,
        0,
        -1.5,
        1e21,
        "",
        "42",
        "true",
        "null",
        '{"a":1}',
        "plain",
        true,
        false,
        [],
        {},
        [{ a: [null, { b: "c" }] }],
      ];
      const results = await h.store.submitRuns(inputs.map((input) => newRun({ input })));
      expect(results.map((r) => r.run.input)).toEqual(inputs);
      for (const [i, result] of results.entries()) {
        expect((await h.store.getRun(result.run.id))?.input).toEqual(inputs[i]);
      }
    });

    it("returns undefined for an unknown run, and empty step results and transitions", async () => {
      expect(await h.store.getRun("run_00000000000000000000000000")).toBeUndefined();
      expect(await h.store.listStepResults("run_unknown")).toEqual([]);
      expect(await h.store.listTransitions("run_unknown")).toEqual([]);
    });

    it("returns the first run for a repeated (pipeline, idempotency key), writing nothing", async () => {
      const first = await submit(h.store, { idempotencyKey: "order-17", input: { v: 1 } });
      const again = newRun({ idempotencyKey: "order-17", input: { v: 2 }, createdAt: NOW + 10 });
      const result = only(await h.store.submitRuns([again]));
      expect(result).toEqual({ run: first, created: false });
      expect(await h.store.getRun(again.id)).toBeUndefined();
      expect((await h.store.listRuns({ limit: 10 })).runs).toEqual([first]);
      expect(await h.store.listTransitions(first.id)).toHaveLength(1);
      expect(await h.store.listTransitions(again.id)).toEqual([]);
    });

    it("dedupes a repeated key inside one submit call", async () => {
      const [a, b] = [newRun({ idempotencyKey: "k" }), newRun({ idempotencyKey: "k" })];
      const results = await h.store.submitRuns([a, b]);
      expect(results.map((r) => [r.run.id, r.created])).toEqual([
        [a.id, true],
        [a.id, false],
      ]);
      expect((await h.store.countRunsByStatus()).pending).toBe(1);
    });

    it("scopes idempotency keys by pipeline, and never dedupes runs without a key", async () => {
      const first = await submit(h.store, { pipeline: "p1", idempotencyKey: "shared" });
      const other = only(
        await h.store.submitRuns([newRun({ pipeline: "p2", idempotencyKey: "shared" })]),
      );
      expect(other.created).toBe(true);
      expect(other.run.id).not.toBe(first.id);
      expect(other.run.pipeline).toBe("p2");
      const keyless = await h.store.submitRuns([newRun(), newRun()]);
      expect(keyless.map((r) => r.created)).toEqual([true, true]);
      expect((await h.store.countRunsByStatus()).pending).toBe(4);
    });

    it("submits 100 runs in one call, in order", async () => {
      const list = Array.from({ length: 100 }, (_, i) => newRun({ input: { i } }));
      const results = await h.store.submitRuns(list);
      expect(results.map((r) => [r.run.id, r.created, r.run.input])).toEqual(
        list.map((r) => [r.id, true, r.input]),
      );
      expect((await h.store.countRunsByStatus()).pending).toBe(100);
      const listed = await h.store.listRuns({ limit: 1000 });
      expect(listed.runs).toHaveLength(100);
      expect(listed.nextCursor).toBeNull();
      for (const run of list) expect(await h.store.listTransitions(run.id)).toHaveLength(1);
    });
  });

  describe("listRuns and countRunsByStatus", () => {
    it("lists summaries: values over summaryValueBytes left out with their size, whole in getRun", async () => {
      const small = await submit(h.store, { input: { text: "x".repeat(100) } });
      const big = await submit(h.store, { input: { text: "y".repeat(summaryValueBytes) } });
      const bytes = JSON.stringify(big.input).length;
      const page = await h.store.listRuns({ limit: 10 });
      const listed = (id: string) => page.runs.find((r) => r.id === id);
      expect(listed(small.id)).toEqual(small);
      expect(listed(big.id)).toEqual({ ...big, input: null, elided: { input: bytes } });
      expect((await h.store.getRun(big.id))?.input).toEqual(big.input);
    });

    it("lists a big error by its code, step and the start of its message; whole in getRun", async () => {
      const { lease } = await claimedRun(h.store);
      const error = {
        code: "too_big",
        message: "m".repeat(2 * errorMessageChars),
        step: "a",
        retryable: false,
        stack: "s".repeat(summaryValueBytes),
      };
      await h.store.quarantineRun(lease, "max_attempts", error, NOW + 300);
      const whole = await h.store.getRun(lease.runId);
      expect(whole?.error).toEqual(error);
      const listed = (await h.store.listRuns({ limit: 10 })).runs.find((r) => r.id === lease.runId);
      expect(listed).toEqual({
        ...whole,
        error: { code: "too_big", message: "m".repeat(errorMessageChars), step: "a" },
        elided: { error: JSON.stringify(error).length },
      });
    });

    it("ends a page early once its values pass the byte budget, and the cursor goes on", async () => {
      // each input just under the elision size: carried in full, so the budget counts them
      const input = { text: "z".repeat(summaryValueBytes - 20) };
      const runs = await submitMany(h.store, Math.ceil((2 * pageBudgetBytes) / summaryValueBytes), {
        input,
      });
      const pages = await allPages(h.store, { limit: 1000 });
      expect(pages.length).toBeGreaterThan(1);
      expect(pages[0]!.length).toBeLessThan(runs.length);
      expect(pages.flat().map((r) => r.id)).toEqual(newestFirst(runs));
    });

    it("lists newest first", async () => {
      const runs: RunRecord[] = [];
      for (let i = 0; i < 5; i++) runs.push(await submit(h.store, { createdAt: NOW + i }));
      const page = await h.store.listRuns({ limit: 10 });
      expect(page.runs).toEqual([...runs].reverse());
      expect(page.nextCursor).toBeNull();
    });

    it("filters by status and by pipeline, alone and together", async () => {
      const pending1 = await submit(h.store, { pipeline: "p1" });
      const running2 = await submit(h.store, { pipeline: "p2" });
      await claimOne(h.store, { pipelines: ["p2"] });
      const cancelled1 = await submit(h.store, { pipeline: "p1" });
      await h.store.cancelRun(cancelled1.id, { reason: "test", actor: "tester", at: NOW + 1 });
      const pending2 = await submit(h.store, { pipeline: "p2" });

      const ids = async (query: Omit<RunQuery, "limit">) =>
        (await h.store.listRuns({ limit: 50, ...query })).runs.map((r) => r.id);
      expect(await ids({ status: "pending" })).toEqual([pending2.id, pending1.id]);
      expect(await ids({ status: "running" })).toEqual([running2.id]);
      expect(await ids({ status: "cancelled" })).toEqual([cancelled1.id]);
      expect(await ids({ status: "succeeded" })).toEqual([]);
      expect(await ids({ pipeline: "p1" })).toEqual([cancelled1.id, pending1.id]);
      expect(await ids({ pipeline: "p2" })).toEqual([pending2.id, running2.id]);
      expect(await ids({ pipeline: "nope" })).toEqual([]);
      expect(await ids({ pipeline: "p2", status: "pending" })).toEqual([pending2.id]);
      expect(await ids({ pipeline: "p1", status: "running" })).toEqual([]);
      const running = only((await h.store.listRuns({ limit: 50, status: "running" })).runs);
      expect(running).toEqual(await h.store.getRun(running2.id));
    });

    it("filters by quarantine reason", async () => {
      const maxed = await runInStatus(h.store, "quarantined", { quarantineReason: "max_attempts" });
      const timedOut = await runInStatus(h.store, "quarantined", { quarantineReason: "timeout" });
      const maxed2 = await runInStatus(h.store, "quarantined", {
        quarantineReason: "max_attempts",
      });
      await runInStatus(h.store, "pending");
      await runInStatus(h.store, "succeeded");
      const byReason = async (quarantineReason: string) =>
        (await h.store.listRuns({ limit: 50, quarantineReason })).runs.map((r) => r.id);
      expect(await byReason("max_attempts")).toEqual([maxed2.id, maxed.id]);
      expect(await byReason("timeout")).toEqual([timedOut.id]);
      expect(await byReason("permanent:validation")).toEqual([]);
    });

    it("filters by creation time (since is inclusive)", async () => {
      const at = (t: number) => submit(h.store, { id: runIdAt(t), createdAt: t });
      const old = await at(NOW - 2000);
      const mid = await at(NOW - 1000);
      const recent = await at(NOW);
      const since = async (t: number) =>
        (await h.store.listRuns({ limit: 50, since: t })).runs.map((r) => r.id);
      expect(await since(NOW - 1000)).toEqual([recent.id, mid.id]);
      expect(await since(NOW - 999)).toEqual([recent.id]);
      expect(await since(NOW - 5000)).toEqual([recent.id, mid.id, old.id]);
      expect(await since(NOW + 1)).toEqual([]);
    });

    it("pages with limit and cursor over every run exactly once", async () => {
      const runs = await submitMany(h.store, 25);
      const pages = await allPages(h.store, { limit: 10 });
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      const seen = pages.flat().map((r) => r.id);
      expect(seen).toEqual(newestFirst(runs));
      expect(new Set(seen).size).toBe(25);
    });

    it("ends on a full last page without an empty page after it", async () => {
      const runs = await submitMany(h.store, 20);
      const pages = await allPages(h.store, { limit: 10 });
      expect(pages.map((p) => p.length)).toEqual([10, 10]);
      expect(pages.flat().map((r) => r.id)).toEqual(newestFirst(runs));
    });

    it("pages through a filtered listing", async () => {
      const wanted: RunRecord[] = [];
      for (let i = 0; i < 7; i++) {
        wanted.push(await submit(h.store, { pipeline: "p1" }));
        await submit(h.store, { pipeline: "p2" });
      }
      const pages = await allPages(h.store, { limit: 3, pipeline: "p1", status: "pending" });
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((r) => r.id)).toEqual(newestFirst(wanted));
    });

    it("counts runs by status, with every status present", async () => {
      const zero = Object.fromEntries(runStatuses.map((s) => [s, 0])) as Record<RunStatus, number>;
      expect(await h.store.countRunsByStatus()).toEqual(zero);
      for (const status of runStatuses) await runInStatus(h.store, status);
      await runInStatus(h.store, "pending");
      await runInStatus(h.store, "quarantined");
      expect(await h.store.countRunsByStatus()).toEqual({
        pending: 2,
        running: 1,
        succeeded: 1,
        quarantined: 2,
        cancelled: 1,
      });
    });

    it("counts pending runs by pipeline and quarantined runs by reason", async () => {
      expect(await h.store.countWaiting()).toEqual({ pending: [], quarantined: [] });
      // the claims first: a claim takes the oldest pending run
      await runInStatus(h.store, "running", { run: { pipeline: "p1" } });
      await runInStatus(h.store, "quarantined", { quarantineReason: "timeout" });
      await runInStatus(h.store, "quarantined", { quarantineReason: "max_attempts" });
      await runInStatus(h.store, "quarantined", { quarantineReason: "timeout" });
      for (const pipeline of ["p2", "p1", "p2"]) await submit(h.store, { pipeline });
      expect(await h.store.countWaiting()).toEqual({
        pending: [
          { pipeline: "p1", runs: 1 },
          { pipeline: "p2", runs: 2 },
        ],
        quarantined: [
          { reason: "max_attempts", runs: 1 },
          { reason: "timeout", runs: 2 },
        ],
      });
    });
  });
}
