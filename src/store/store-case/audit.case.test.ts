import { describe, expect, it } from "vitest";
import type { AuditRecord, NewAuditEntry } from "../audit.js";
import { NOW, type StoreHandle } from "./helpers.case.test.js";

function entry(overrides: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    at: NOW,
    actor: "cli:dave",
    action: "run.cancel",
    target: "run_x",
    reason: "duplicate",
    details: { from: "pending" },
    ...overrides,
  };
}

export function auditCases(h: StoreHandle): void {
  describe("appendAudit and listAudit", () => {
    it("appends entries and lists them newest first, every field round-tripped", async () => {
      const first = await h.store.appendAudit(entry());
      const second = await h.store.appendAudit(
        entry({
          at: NOW + 1,
          action: "token.create",
          target: null,
          reason: null,
          details: { nested: { list: [1, "two", null, true] }, text: "héllo ✓" },
        }),
      );
      expect(typeof first.id).toBe("number");
      expect(second.id).toBeGreaterThan(first.id);
      expect(first).toEqual({ id: first.id, ...entry() });
      const page = await h.store.listAudit({ limit: 10 });
      expect(page).toEqual({ entries: [second, first], nextCursor: null });
      const bare = await h.store.appendAudit(entry({ details: null }));
      expect((await h.store.listAudit({ limit: 1 })).entries).toEqual([bare]);
    });

    it("filters by time (since is inclusive) and by action", async () => {
      await h.store.appendAudit(entry({ at: NOW - 2000, action: "run.retry" }));
      await h.store.appendAudit(entry({ at: NOW - 1000, action: "run.cancel" }));
      await h.store.appendAudit(entry({ at: NOW, action: "run.retry" }));
      const list = async (query: { since?: number; action?: string }) =>
        (await h.store.listAudit({ limit: 10, ...query })).entries.map((e) => [e.at, e.action]);
      expect(await list({ since: NOW - 1000 })).toEqual([
        [NOW, "run.retry"],
        [NOW - 1000, "run.cancel"],
      ]);
      expect(await list({ action: "run.retry" })).toEqual([
        [NOW, "run.retry"],
        [NOW - 2000, "run.retry"],
      ]);
      expect(await list({ action: "run.retry", since: NOW - 1999 })).toEqual([[NOW, "run.retry"]]);
      expect(await list({ action: "quarantine.purge" })).toEqual([]);
      expect(await list({ since: NOW + 1 })).toEqual([]);
    });

    it("pages with limit and cursor over every entry exactly once", async () => {
      const made: AuditRecord[] = [];
      for (let i = 0; i < 12; i++) made.push(await h.store.appendAudit(entry({ at: NOW + i })));
      const seen: number[] = [];
      let cursor: number | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await h.store.listAudit({ limit: 5, cursor });
        seen.push(...page.entries.map((e) => e.id));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(made.map((e) => e.id).reverse());
    });
  });
}
