// The operator's run procedures of src/ops/run-operations.ts over a real engine: the quarantine
// (list, show, retry, purge with its guard) and the audit log every change writes to.
import { describe, expect, it } from "vitest";
import { PermanentError, pipeline, step, type Keel } from "../../src/index.js";
import {
  listQuarantine,
  purgeQuarantine,
  retryQuarantined,
  showQuarantined,
} from "../../src/ops/run-operations.js";
import { useHarness } from "./helpers.js";

const h = useHarness();
const DAY = 86_400_000;

/** load -> check: check fails for good with the code in the run's input, unless it is "ok". */
const load = step("load", (_ctx, input: { code: string }) => input);
const check = step("check", { after: [load] }, (_ctx, deps) => {
  if (deps.load.code !== "ok") throw new PermanentError("rejected", deps.load.code);
  return "checked";
});
const checks = pipeline("ops-checks", [load, check]);

async function settled(k: Keel, code: string): Promise<string> {
  const run = await k.submit(checks, { code });
  await k.wait(run.id, { timeoutMs: 5000 });
  return run.id;
}

describe("quarantine procedures", () => {
  it("lists by reason, and shows the failures, the checkpoints and what a retry runs", async () => {
    const k = await h.start({ pipelines: [checks] });
    const parse = await settled(k, "parse_error");
    const denied = await settled(k, "permission_denied");
    await settled(k, "ok");
    const ids = async (reason?: string) =>
      (await listQuarantine(k, { reason, limit: 10 })).runs.map((r) => r.id);
    expect(await ids()).toEqual([denied, parse]);
    expect(await ids("permanent:parse_error")).toEqual([parse]);

    const shown = await showQuarantined(k, parse);
    expect(shown.checkpointed).toEqual(["load"]);
    expect(shown.toRun).toEqual(["check"]);
    expect(shown.failures).toMatchObject([
      { step: "check", attempt: 1, code: "parse_error", message: "rejected" },
    ]);
  });

  it("retries only quarantined runs", async () => {
    const k = await h.start({ pipelines: [checks] });
    const good = await settled(k, "ok");
    await expect(retryQuarantined(k, good, "again", "cli:alice")).rejects.toMatchObject({
      code: "not_quarantined",
      message: expect.stringMatching(/is succeeded, not quarantined.*keel jobs retry/),
    });
    await expect(showQuarantined(k, good)).rejects.toMatchObject({ code: "not_quarantined" });
    const bad = await settled(k, "parse_error");
    const result = await retryQuarantined(k, bad, "looked at it", "cli:alice");
    expect(result.from).toBe("quarantined");
    // the cause is not fixed: it lands in quarantine again, with the retry on record
    expect((await k.wait(bad, { timeoutMs: 5000 })).status).toBe("quarantined");
    expect((await k.audit({ limit: 10 })).entries).toMatchObject([
      { action: "run.retry", target: bad, actor: "cli:alice", reason: "looked at it" },
    ]);
  });

  it("purges by age and by reason, never without a filter or all", async () => {
    const k = await h.start({ pipelines: [checks] });
    const parse = await settled(k, "parse_error");
    const denied = await settled(k, "permission_denied");
    const good = await settled(k, "ok");
    const actor = "cli:carol";
    await expect(purgeQuarantine(k, { dryRun: true, actor })).rejects.toMatchObject({
      code: "invalid_input",
    });
    await expect(
      purgeQuarantine(k, { all: true, reason: "timeout", dryRun: true, actor }),
    ).rejects.toMatchObject({ code: "invalid_input" });

    const fresh = await purgeQuarantine(k, { olderThanDays: 1, dryRun: true, actor });
    expect(fresh).toMatchObject({ count: 0, ids: [] });
    const later = Date.now() + 2 * DAY;
    const aged = await purgeQuarantine(k, { olderThanDays: 1, dryRun: true, actor, now: later });
    expect(aged).toMatchObject({ count: 2, olderThan: later - DAY, dryRun: true });

    const byReason = await purgeQuarantine(k, {
      reason: "permanent:parse_error",
      dryRun: false,
      actor,
    });
    expect(byReason.ids).toEqual([parse]);
    expect(await k.get(parse)).toBeUndefined();
    const all = await purgeQuarantine(k, { all: true, dryRun: false, actor });
    expect(all.ids).toEqual([denied]);
    expect((await k.get(good))?.status).toBe("succeeded");
    expect(
      (await k.audit({ action: "quarantine.purge", limit: 10 })).entries.map((e) => e.details),
    ).toMatchObject([
      { count: 1, ids: [denied] },
      { count: 1, ids: [parse] },
    ]);
  });
});

describe("job procedures", () => {
  it("cancel and retry are audited with their actor, newest first", async () => {
    const k = h.make({ pipelines: [checks] });
    const run = await k.submit(checks, { code: "ok" });
    await k.cancel(run.id, "duplicate", "cli:bob");
    await k.retry(run.id, { note: "not a duplicate after all", actor: "cli:bob" });
    await k.start();
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    await k.retry(run.id, { fromStep: "check", note: "recheck", actor: "cli:eve" });
    expect((await k.wait(run.id, { timeoutMs: 5000 })).status).toBe("succeeded");
    const page = await k.audit({ limit: 2 });
    expect(page.entries.map((e) => [e.action, e.actor, e.reason])).toEqual([
      ["run.retry", "cli:eve", "recheck"],
      ["run.retry", "cli:bob", "not a duplicate after all"],
    ]);
    const rest = await k.audit({ limit: 2, cursor: page.nextCursor ?? undefined });
    expect(rest.entries.map((e) => [e.action, e.reason, e.details])).toEqual([
      ["run.cancel", "duplicate", { from: "pending" }],
    ]);
    expect(rest.nextCursor).toBeNull();
    const since = await k.audit({ since: Date.now() + 1000, limit: 10 });
    expect(since.entries).toEqual([]);
  });
});
