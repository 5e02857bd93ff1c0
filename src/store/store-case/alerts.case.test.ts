import { describe, expect, it } from "vitest";
import type { AlertStateChange, NewAlertDelivery } from "../alerts.js";
import { NOW, only } from "./helpers.case.test.js";
import type { PeerHandle } from "./breakers.case.test.js";

function change(overrides: Partial<AlertStateChange> = {}): AlertStateChange {
  return {
    rule: "queue_backlog",
    from: "inactive",
    to: "pending",
    at: NOW,
    value: 1500,
    summary: "1500 runs pending",
    severity: "warning",
    labels: { team: "ops" },
    actor: "keel:alerts",
    ...overrides,
  };
}

function delivery(receiver: string, id: string): NewAlertDelivery {
  return { deliveryId: id, receiver, payload: { rule: "queue_backlog", id } };
}

export function alertCases(h: PeerHandle): void {
  describe("alerts", () => {
    it("moves a rule's state only from the state the evaluator read, and keeps the history", async () => {
      const pending = await h.store.changeAlertState(change(), []);
      expect(pending).toMatchObject({ rule: "queue_backlog", from: "inactive", to: "pending" });
      // a second evaluator that read "inactive" too records nothing
      const other = h.peer ?? h.store;
      expect(await other.changeAlertState(change({ actor: "other" }), [])).toBeNull();
      const firing = await h.store.changeAlertState(
        change({ from: "pending", to: "firing", at: NOW + 60_000 }),
        [delivery("ops", "d1"), delivery("chat", "d2")],
      );
      expect(firing?.queued).toBe(2);
      const [state] = await h.store.listAlertStates();
      expect(state).toEqual({
        rule: "queue_backlog",
        state: "firing",
        since: NOW + 60_000,
        value: 1500,
        summary: "1500 runs pending",
        severity: "warning",
        labels: { team: "ops" },
        updatedAt: NOW + 60_000,
      });
      const events = await h.store.listAlertEvents({ rule: "queue_backlog", limit: 10 });
      expect(events.map((e) => e.to)).toEqual(["firing", "pending"]);
      expect(await h.store.listAlertEvents({ rule: "other", limit: 10 })).toEqual([]);
    });

    it("queues a delivery id once: the same alert and state reaches a receiver once", async () => {
      await h.store.changeAlertState(change({ to: "firing" }), [delivery("ops", "same")]);
      const again = await h.store.recordAlertNotice(change({ to: "firing" }), [
        delivery("ops", "same"),
      ]);
      expect(again.queued).toBe(0);
      expect(only(await h.store.alertQueues())).toMatchObject({ receiver: "ops", queued: 1 });
    });

    it("drains each receiver's queue in order: only its head is due, retried until delivered", async () => {
      await h.store.changeAlertState(change({ to: "firing" }), [
        delivery("ops", "a1"),
        delivery("chat", "b1"),
      ]);
      await h.store.changeAlertState(change({ from: "firing", to: "resolved", at: NOW + 1 }), [
        delivery("ops", "a2"),
      ]);
      let due = await h.store.dueAlertDeliveries(NOW + 10, 10);
      expect(due.map((d) => d.deliveryId)).toEqual(["a1", "b1"]);
      const a1 = due[0]!;
      expect(a1.payload).toEqual({ rule: "queue_backlog", id: "a1" });
      await h.store.finishAlertDelivery(a1.id, {
        kind: "retry",
        at: NOW + 10,
        nextAt: NOW + 5000,
        error: "HTTP 500",
      });
      // a1 waits for its retry, and a2 waits behind it
      due = await h.store.dueAlertDeliveries(NOW + 20, 10);
      expect(due.map((d) => d.deliveryId)).toEqual(["b1"]);
      const queues = await h.store.alertQueues();
      expect(queues.find((q) => q.receiver === "ops")).toMatchObject({
        queued: 2,
        head: { deliveryId: "a1", attempts: 1, lastError: "HTTP 500", nextAt: NOW + 5000 },
      });
      await h.store.finishAlertDelivery(a1.id, { kind: "delivered", at: NOW + 5000 });
      due = await h.store.dueAlertDeliveries(NOW + 5000, 10);
      expect(due.map((d) => d.deliveryId)).toEqual(["b1", "a2"]);
      expect(await h.store.getAlertDelivery("a1")).toMatchObject({
        status: "delivered",
        attempts: 2,
        doneAt: NOW + 5000,
        lastError: null,
      });
      await h.store.finishAlertDelivery(due[0]!.id, { kind: "dropped", at: NOW, error: "gone" });
      expect(await h.store.getAlertDelivery("b1")).toMatchObject({ status: "dropped" });
      // a finished delivery is left alone
      await h.store.finishAlertDelivery(a1.id, { kind: "dropped", at: NOW, error: "late" });
      expect((await h.store.getAlertDelivery("a1"))?.status).toBe("delivered");
      // finished ones are pruned by age, queued ones never
      expect(await h.store.pruneAlertOutbox(NOW + 5000)).toBe(1); // b1, dropped at NOW
      expect(await h.store.pruneAlertOutbox(NOW + 5001)).toBe(1); // a1, delivered at NOW + 5000
      expect(await h.store.getAlertDelivery("a1")).toBeUndefined();
      expect(await h.store.pruneAlertOutbox(Number.MAX_SAFE_INTEGER)).toBe(0);
      expect((await h.store.getAlertDelivery("a2"))?.status).toBe("queued");
    });

    it("silences and unsilences a rule, each audited with the change", async () => {
      const silence = await h.store.silenceAlert("disk_warn", NOW + 3_600_000, {
        actor: "cli:ann",
        at: NOW,
        reason: "disk swap tonight",
        audit: { action: "alert.silence" },
      });
      expect(silence).toEqual({
        rule: "disk_warn",
        until: NOW + 3_600_000,
        reason: "disk swap tonight",
        actor: "cli:ann",
        at: NOW,
      });
      expect(await h.store.listAlertSilences()).toEqual([silence]);
      const ended = await h.store.unsilenceAlert("disk_warn", {
        actor: "cli:bob",
        at: NOW + 1,
        audit: { action: "alert.unsilence" },
      });
      expect(ended).toEqual(silence);
      expect(await h.store.unsilenceAlert("disk_warn", { actor: "cli:bob", at: NOW })).toBe(
        undefined,
      );
      expect(await h.store.listAlertSilences()).toEqual([]);
      const { entries } = await h.store.listAudit({ limit: 10 });
      expect(entries.map((e) => [e.action, e.target, e.actor])).toEqual([
        ["alert.unsilence", "disk_warn", "cli:bob"],
        ["alert.silence", "disk_warn", "cli:ann"],
      ]);
    });

    it("grants the evaluator's lease to one node until it runs out or is handed back", async () => {
      const other = h.peer ?? h.store;
      expect(await h.store.getAlertLease()).toBeUndefined();
      const a = await h.store.acquireAlertLease("node-a", NOW, 10_000);
      expect(a).toEqual({ holder: "node-a", expiresAt: NOW + 10_000, epoch: 1 });
      expect((await other.acquireAlertLease("node-b", NOW + 5000, 10_000)).holder).toBe("node-a");
      // renewed by its holder, same epoch
      expect(await h.store.acquireAlertLease("node-a", NOW + 6000, 10_000)).toEqual({
        holder: "node-a",
        expiresAt: NOW + 16_000,
        epoch: 1,
      });
      // run out: another node takes it, and the epoch goes up
      expect(await other.acquireAlertLease("node-b", NOW + 16_000, 10_000)).toEqual({
        holder: "node-b",
        expiresAt: NOW + 26_000,
        epoch: 2,
      });
      await other.releaseAlertLease("node-a"); // not its holder: nothing changes
      expect((await h.store.getAlertLease())?.holder).toBe("node-b");
      await other.releaseAlertLease("node-b");
      expect((await h.store.acquireAlertLease("node-a", NOW + 17_000, 10_000)).holder).toBe(
        "node-a",
      );
    });

    it("a test notice changes no state and is audited", async () => {
      const event = await h.store.recordAlertNotice(
        change({ from: "inactive", to: "test" as never }),
        [delivery("ops", "t1")],
        { actor: "cli:ann", at: NOW, audit: { action: "alert.test" } },
      );
      expect(event).toMatchObject({ to: "test", queued: 1 });
      expect(await h.store.listAlertStates()).toEqual([]);
      expect((await h.store.listAudit({ limit: 1 })).entries[0]?.action).toBe("alert.test");
    });
  });
}
