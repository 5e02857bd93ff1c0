import { describe, expect, it } from "vitest";
import { approvalGate, pipeline, step } from "../../src/index.js";
import { AlertFigures, conditions } from "../../src/ops/alerts/conditions/index.js";
import { ruleDefaults } from "../../src/ops/alerts/rule-defaults.js";
import { gatesCheck } from "../../src/ops/doctor/gates.js";
import type { DoctorContext } from "../../src/ops/doctor/types.js";
import { useHarness, until } from "./helpers.js";

const h = useHarness();

/** draft -> review (an approval gate) -> publish, which echoes what the gate handed it */
function reviewed(name: string, gateOptions: Parameters<typeof approvalGate>[1] = {}) {
  let publishes = 0;
  const draft = step("draft", (_ctx, input: { text: string }) => ({ text: input.text }));
  const review = approvalGate("review", { after: [draft], ...gateOptions });
  const publish = step("publish", { after: [review] }, (_ctx, input) => {
    publishes++;
    return { review: input.review };
  });
  return { p: pipeline(name, [draft, review, publish]), publishes: () => publishes };
}

describe("approval gates", () => {
  it("a run waits at the gate off the node, and an approval lets it finish with the decision", async () => {
    const { p, publishes } = reviewed("gated-approve");
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { text: "hello" });
    const [open] = await until(async () => {
      const list = await k.gates.list();
      return list.length > 0 ? list : undefined;
    });
    expect(open).toMatchObject({ runId: run.id, gate: "review", pipeline: "gated-approve" });
    expect(open?.timeoutAt).toBe((open?.openedAt ?? 0) + 48 * 3_600_000);
    // pending, with no node or lease: it holds no slot while a person decides
    const waiting = await k.get(run.id);
    expect(waiting).toMatchObject({ status: "pending", nodeId: null, leaseExpiresAt: null });
    expect(waiting?.scheduledFor).toBe(open?.timeoutAt);
    // not backlog: the queue's depth leaves it out
    expect((await k.store.countWaiting()).pending).toEqual([]);
    expect(publishes()).toBe(0);

    await k.gates.approve(run.id, "review", { note: "looks right", actor: "cli:alice" });
    const done = await k.wait(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("succeeded");
    const out = (await k.inspect(run.id)).steps.find((s) => s.step === "publish")?.output as {
      review: Record<string, unknown>;
    };
    expect(out.review).toMatchObject({
      gate: "review",
      approved: true,
      by: "cli:alice",
      note: "looks right",
      timedOut: false,
    });
    expect(out.review.waitedMs).toBeGreaterThanOrEqual(0);
    const reasons = (await k.store.listTransitions(run.id)).map(
      (t) => `${t.step ?? ""}:${t.reason}`,
    );
    expect(reasons).toContain(":gate_open:review");
    expect(reasons).toContain("review:gate_approved");
    expect(await k.gates.list()).toEqual([]);
    const audit = await k.store.listAudit({ action: "gate.approve", limit: 10 });
    expect(audit.entries[0]).toMatchObject({
      actor: "cli:alice",
      target: run.id,
      reason: "looks right",
    });
  });

  it("a rejection quarantines the run as gate:<name> with the note and who, and runs nothing after", async () => {
    const { p, publishes } = reviewed("gated-reject");
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { text: "hello" });
    await until(async () => ((await k.gates.list()).length > 0 ? true : undefined));
    await k.gates.reject(run.id, "review", { note: "numbers are off", actor: "cli:bob" });
    const done = await k.wait(run.id, { timeoutMs: 10_000 });
    expect(done.status).toBe("quarantined");
    expect(done.quarantineReason).toBe("gate:review");
    expect(done.error).toMatchObject({ code: "gate:review", step: "review", retryable: false });
    expect(done.error?.message).toContain("rejected by cli:bob: numbers are off");
    expect(publishes()).toBe(0);
    // a second decision is refused: the gate is decided
    await expect(
      k.gates.approve(run.id, "review", { note: "changed my mind" }),
    ).rejects.toMatchObject({ code: "gate_not_open" });
  });

  it("at the timeout, the policy decides: reject quarantines, approve lets the run on", async () => {
    const rejecting = reviewed("gated-timeout-reject", { timeout: 300 }).p;
    const approving = reviewed("gated-timeout-approve", { timeout: 300, onTimeout: "approve" }).p;
    const k = await h.start({ pipelines: [rejecting, approving] });
    const a = await k.submit(rejecting, { text: "a" });
    const b = await k.submit(approving, { text: "b" });
    const rejected = await k.wait(a.id, { timeoutMs: 10_000 });
    expect(rejected.status).toBe("quarantined");
    expect(rejected.quarantineReason).toBe("gate:review");
    expect(rejected.error?.message).toContain("rejected by timeout");
    const approved = await k.wait(b.id, { timeoutMs: 10_000 });
    expect(approved.status).toBe("succeeded");
    const out = (await k.inspect(b.id)).steps.find((s) => s.step === "publish")?.output as {
      review: Record<string, unknown>;
    };
    expect(out.review).toMatchObject({ approved: true, by: "timeout", timedOut: true });
    expect(out.review.waitedMs).toBeGreaterThanOrEqual(300);
  });

  it("refuses a decision on a run that is not at the gate, and one without a note", async () => {
    const { p } = reviewed("gated-refusals");
    const k = await h.start({ pipelines: [p] });
    const run = await k.submit(p, { text: "x" });
    await until(async () => ((await k.gates.list()).length > 0 ? true : undefined));
    await expect(k.gates.approve(run.id, "publish", { note: "n" })).rejects.toMatchObject({
      code: "gate_not_open",
    });
    await expect(k.gates.approve("r_nope", "review", { note: "n" })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(k.gates.approve(run.id, "review", { note: " " })).rejects.toMatchObject({
      code: "invalid_input",
    });
  });

  it("the gate_wait alert holds once a run has waited at a gate past 24 h", async () => {
    const { p } = reviewed("gated-alert");
    const k = await h.start({ pipelines: [p] });
    const rule = { id: "gate_wait", enabled: true, labels: {}, ...ruleDefaults.gate_wait } as const;
    const at = (now: number) =>
      conditions.gate_wait(new AlertFigures(k.store, now, undefined, 5000, undefined), rule);
    expect((await at(Date.now())).holds).toBe(false);
    await k.submit(p, { text: "x" });
    const [open] = await until(async () => {
      const list = await k.gates.list();
      return list.length > 0 ? list : undefined;
    });
    const opened = open?.openedAt ?? 0;
    expect(await at(opened + 23 * 3_600_000)).toMatchObject({ holds: false });
    expect(await at(opened + 25 * 3_600_000)).toMatchObject({
      holds: true,
      value: 25 * 3600,
      labels: { pipeline: "gated-alert", gate: "review" },
    });
    // the doctor says the same, with the commands to decide
    const doctorAt = (now: number) =>
      gatesCheck.run({ home: h.home, now, store: k.store } as unknown as DoctorContext);
    expect(await doctorAt(opened + 23 * 3_600_000)).toEqual([]);
    const [finding] = await doctorAt(opened + 25 * 3_600_000);
    expect(finding).toMatchObject({
      check: "gates",
      severity: "warning",
      evidence: { pipeline: "gated-alert", gate: "review", runs: 1 },
    });
    expect(finding?.commands.join("\n")).toContain("gates list --pipeline gated-alert");
  });
});
