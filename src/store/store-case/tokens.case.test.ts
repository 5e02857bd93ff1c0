import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../core/errors/definition-errors.js";
import type { NewToken } from "../tokens.js";
import { NOW, claimOne, expectKeelError, submit, type StoreHandle } from "./helpers.case.test.js";

function token(overrides: Partial<NewToken> = {}): NewToken {
  return {
    id: "tok1",
    name: "ci-reader",
    role: "viewer",
    secretHash: "a".repeat(64),
    createdAt: NOW,
    createdBy: "cli:dave",
    ...overrides,
  };
}

export function tokenCases(h: StoreHandle): void {
  describe("tokens", () => {
    it("creates, gets and lists tokens with every field, the audit entry in the same write", async () => {
      const created = await h.store.createToken(token(), { action: "token.create" });
      expect(created).toEqual({ ...token(), lastUsedAt: null, revokedAt: null, revokedBy: null });
      await h.store.createToken(token({ id: "tok2", name: "ops", role: "operator" }));
      expect(await h.store.getToken("tok1")).toEqual(created);
      expect(await h.store.getToken("nope")).toBeUndefined();
      expect((await h.store.listTokens()).map((t) => [t.id, t.role])).toEqual([
        ["tok1", "viewer"],
        ["tok2", "operator"],
      ]);
      const audit = (await h.store.listAudit({ limit: 10 })).entries;
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor: "cli:dave",
        action: "token.create",
        target: "tok1",
        details: { name: "ci-reader", role: "viewer" },
      });
    });

    it("refuses a second token with the same id and keeps the first", async () => {
      await h.store.createToken(token());
      await expect(h.store.createToken(token({ name: "other" }))).rejects.toThrow();
      expect((await h.store.getToken("tok1"))?.name).toBe("ci-reader");
    });

    it("revokes once: a second revoke keeps the first who and when, both audited", async () => {
      await h.store.createToken(token());
      const revoked = await h.store.revokeToken("tok1", {
        actor: "cli:erin",
        at: NOW + 5,
        reason: "leaked in a log",
        audit: { action: "token.revoke" },
      });
      expect(revoked).toMatchObject({ revokedAt: NOW + 5, revokedBy: "cli:erin" });
      const again = await h.store.revokeToken("tok1", {
        actor: "cli:frank",
        at: NOW + 9,
        audit: { action: "token.revoke" },
      });
      expect(again).toMatchObject({ revokedAt: NOW + 5, revokedBy: "cli:erin" });
      const audit = (await h.store.listAudit({ limit: 10 })).entries;
      expect(
        audit.map((e) => [e.actor, e.reason, (e.details as { was_revoked: boolean }).was_revoked]),
      ).toEqual([
        ["cli:frank", null, true],
        ["cli:erin", "leaked in a log", false],
      ]);
    });

    it("revoking an unknown token is not_found and writes nothing", async () => {
      await expectKeelError(
        h.store.revokeToken("nope", {
          actor: "cli:erin",
          at: NOW,
          audit: { action: "token.revoke" },
        }),
        NotFoundError,
        "not_found",
      );
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });

    it("notes when a token was last used", async () => {
      await h.store.createToken(token());
      await h.store.touchToken("tok1", NOW + 60_000);
      expect((await h.store.getToken("tok1"))?.lastUsedAt).toBe(NOW + 60_000);
    });
  });

  describe("transition feed", () => {
    it("lists every run's transitions after an id, in order, optionally for one run", async () => {
      expect(await h.store.lastTransitionId()).toBe(0);
      const a = await submit(h.store);
      const b = await submit(h.store);
      await claimOne(h.store);
      const all = await h.store.listTransitionsAfter({ afterId: 0, limit: 100 });
      expect(all.length).toBeGreaterThanOrEqual(3);
      const ids = all.map((t) => t.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(all.map((t) => t.runId))).toEqual(new Set([a.id, b.id]));
      expect(await h.store.lastTransitionId()).toBe(ids.at(-1));
      const rest = await h.store.listTransitionsAfter({ afterId: ids[0]!, limit: 100 });
      expect(rest.map((t) => t.id)).toEqual(ids.slice(1));
      const page = await h.store.listTransitionsAfter({ afterId: 0, limit: 1 });
      expect(page.map((t) => t.id)).toEqual([ids[0]]);
      const onlyB = await h.store.listTransitionsAfter({ afterId: 0, limit: 100, runId: b.id });
      expect(onlyB.length).toBeGreaterThan(0);
      expect(onlyB.every((t) => t.runId === b.id)).toBe(true);
      expect(await h.store.listTransitionsAfter({ afterId: ids.at(-1)!, limit: 100 })).toEqual([]);
      const newest = await h.store.listTransitionsAfter({ afterId: 0, limit: 2, newest: true });
      expect(newest.map((t) => t.id)).toEqual(ids.slice(-2));
      const newestOfB = await h.store.listTransitionsAfter({
        afterId: 0,
        limit: 1,
        runId: b.id,
        newest: true,
      });
      expect(newestOfB.map((t) => t.id)).toEqual([onlyB.at(-1)!.id]);
    });
  });
}
