import { describe, expect, it } from "vitest";
import type { SourceDefinition } from "../sources.js";
import { NOW, type StoreHandle } from "./helpers.case.test.js";

function def(overrides: Partial<SourceDefinition> = {}): SourceDefinition {
  return {
    name: "nightly",
    kind: "cron",
    pipeline: "p",
    schedule: "0 3 * * *",
    input: { region: "eu", n: [1, null] },
    timezone: null,
    ...overrides,
  };
}

export function sourceCases(h: StoreHandle): void {
  describe("sources", () => {
    it("upserts definitions and lists them by name, every field round-tripped", async () => {
      await h.store.upsertSources(
        [def(), def({ name: "every", kind: "interval", schedule: "30000", timezone: "UTC" })],
        NOW,
      );
      const list = await h.store.listSources();
      expect(list.map((s) => s.name)).toEqual(["every", "nightly"]);
      expect(await h.store.getSource("nightly")).toEqual({
        ...def(),
        paused: false,
        pauseReason: null,
        pausedBy: null,
        pausedAt: null,
        lastTickAt: null,
        nextTickAt: null,
        updatedAt: NOW,
      });
      expect(await h.store.getSource("nope")).toBeUndefined();
      await h.store.upsertSources([def({ kind: "manual", schedule: null, input: null })], NOW + 1);
      expect(await h.store.getSource("nightly")).toMatchObject({
        kind: "manual",
        schedule: null,
        input: null,
        updatedAt: NOW + 1,
      });
    });

    it("pause survives an upsert, resume clears it, each with its audit entry", async () => {
      await h.store.upsertSources([def()], NOW);
      const paused = await h.store.pauseSource("nightly", {
        reason: "maintenance",
        actor: "cli:dave",
        at: NOW + 1,
        audit: { action: "source.pause" },
      });
      expect(paused).toMatchObject({
        paused: true,
        pauseReason: "maintenance",
        pausedBy: "cli:dave",
        pausedAt: NOW + 1,
      });
      await h.store.upsertSources([def({ schedule: "0 4 * * *" })], NOW + 2);
      expect(await h.store.getSource("nightly")).toMatchObject({
        paused: true,
        pauseReason: "maintenance",
        schedule: "0 4 * * *",
      });
      const resumed = await h.store.resumeSource("nightly", {
        actor: "cli:erin",
        at: NOW + 3,
        audit: { action: "source.resume" },
      });
      expect(resumed).toMatchObject({ paused: false, pauseReason: null, pausedBy: null });
      const audit = await h.store.listAudit({ limit: 10 });
      expect(audit.entries.map((e) => [e.action, e.actor, e.target, e.reason, e.details])).toEqual([
        ["source.resume", "cli:erin", "nightly", null, { was_paused: true }],
        ["source.pause", "cli:dave", "nightly", "maintenance", { was_paused: false }],
      ]);
    });

    it("refuses to pause or resume an unknown source, writing nothing", async () => {
      await expect(
        h.store.pauseSource("ghost", {
          reason: "r",
          actor: "cli:dave",
          at: NOW,
          audit: { action: "source.pause" },
        }),
      ).rejects.toMatchObject({ code: "not_found" });
      await expect(
        h.store.resumeSource("ghost", { actor: "cli:dave", at: NOW }),
      ).rejects.toMatchObject({
        code: "not_found",
      });
      expect((await h.store.listAudit({ limit: 10 })).entries).toEqual([]);
    });

    it("records ticks; the last tick only moves forward", async () => {
      await h.store.upsertSources([def()], NOW);
      await h.store.recordTick("nightly", NOW + 1000, NOW + 2000);
      await h.store.recordTick("nightly", NOW + 500, NOW + 2000);
      expect(await h.store.getSource("nightly")).toMatchObject({
        lastTickAt: NOW + 1000,
        nextTickAt: NOW + 2000,
      });
      await h.store.recordTick("nightly", null, NOW + 3000);
      expect(await h.store.getSource("nightly")).toMatchObject({
        lastTickAt: NOW + 1000,
        nextTickAt: NOW + 3000,
      });
    });
  });
}
