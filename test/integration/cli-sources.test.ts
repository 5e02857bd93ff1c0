import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson as json } from "./keel-cli.js";

/** `keel sources ...` as an operator runs it, against a background node started with `keel start`. */

const input = { name: "x", text: "# T\nThe council shall pay $5 because wells fail." };

function homeWith(config: string): string {
  const home = mkdtempSync(join(tmpdir(), "keel-cli-sources-"));
  writeFileSync(join(home, "keel.yaml"), config);
  return home;
}

describe("keel sources", () => {
  it("lists, pauses, resumes and triggers sources with --wait", async () => {
    const home = homeWith(
      `sources:
  by-hand:
    pipeline: document-analysis
    input: ${JSON.stringify(input)}
  inbox:
    pipeline: document-analysis
    watch: ./inbox
  hourly:
    pipeline: document-analysis
    cron: "0 * * * *"
    timezone: UTC
    input: ${JSON.stringify(input)}
`,
    );
    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
    try {
      // the node records its configured sources at start
      const deadline = Date.now() + 20_000;
      let listed = json(home, ["sources", "list"]);
      while (
        (listed.sources.length < 3 || !listed.sources[1].next_tick_at) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
        listed = json(home, ["sources", "list"]);
      }
      expect(listed.sources.map((s: { name: string }) => s.name)).toEqual([
        "by-hand",
        "hourly",
        "inbox",
      ]);
      expect(listed.sources[2]).toMatchObject({ kind: "watch", watch: join(home, "inbox") });
      expect(listed.sources[1]).toMatchObject({
        kind: "cron",
        cron: "0 * * * *",
        every_ms: null,
        timezone: "UTC",
        paused: false,
        input,
      });
      expect(listed.sources[1].last_tick_at).toBeNull(); // no tick yet
      expect(Date.parse(listed.sources[1].next_tick_at) % 3_600_000).toBe(0);
      const table = keelCli(home, ["sources", "list"]);
      expect(table.stdout).toMatch(/hourly +cron +document-analysis +0 \* \* \* \* +active/);
      // keel status shows them too
      expect(json(home, ["status"]).sources).toContainEqual({
        name: "hourly",
        kind: "cron",
        pipeline: "document-analysis",
        paused: false,
        pause_reason: null,
        next_tick_at: listed.sources[1].next_tick_at,
      });
      expect(keelCli(home, ["status"]).stdout).toMatch(
        /\nsources\n(.*\n)*hourly +cron +document-analysis +active/,
      );

      const paused = json(home, ["sources", "pause", "hourly", "--reason", "maintenance"]);
      expect(paused).toMatchObject({ name: "hourly", paused: true, pause_reason: "maintenance" });
      // through the node's API: the admin token, on behalf of this machine's user
      expect(paused.paused_by).toMatch(/^token:admin\/cli:/);
      const resumed = json(home, ["sources", "resume", "hourly"]);
      expect(resumed).toMatchObject({ paused: false, pause_reason: null });
      const audit = json(home, ["audit", "list"]);
      expect(audit.entries.slice(0, 2).map((e: { action: string }) => e.action)).toEqual([
        "source.resume",
        "source.pause",
      ]);

      // the watched directory does not exist yet: the scheduler's health says so (exit 1: degraded)
      const missing = keelCli(home, ["health", "check", "scheduler", "--format", "json"]);
      expect(missing.code, missing.stderr).toBe(1);
      const scheduler = JSON.parse(missing.stdout).components[0];
      expect(scheduler).toMatchObject({ component: "scheduler", status: "degraded" });
      expect(scheduler.reason).toMatch(/^source inbox fails: ENOENT/);

      // a file dropped into the watched directory (created after the node started) makes a run
      mkdirSync(join(home, "inbox"));
      writeFileSync(join(home, "inbox", "doc.txt"), input.text);
      const fileDeadline = Date.now() + 20_000;
      let fromFile: { source: string; input: { file: { name: string } } }[] = [];
      while (fromFile.length === 0 && Date.now() < fileDeadline) {
        await new Promise((r) => setTimeout(r, 200));
        fromFile = json(home, ["jobs", "list"]).runs.filter(
          (r: { source: string }) => r.source === "source:inbox",
        );
      }
      expect(fromFile.map((r) => r.input.file.name)).toEqual(["doc.txt"]);
      const found = keelCli(home, ["health", "check", "scheduler", "--format", "json"]);
      expect(found.code, found.stdout).toBe(0);
      expect(JSON.parse(found.stdout).components[0].reason).toBe("3 sources on time");

      const waited = keelCli(home, ["sources", "trigger", "by-hand", "--wait"]);
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stdout).toMatch(/ embedding +succeeded/);
      expect(waited.stdout).toMatch(/status +succeeded/);
      const triggered = json(home, ["sources", "trigger", "by-hand"]);
      expect(triggered).toMatchObject({
        pipeline: "document-analysis",
        source: "source:by-hand",
        created: true,
        input,
      });
      expect(triggered.idempotency_key).toMatch(/^source:by-hand:manual:/);

      const unknown = keelCli(home, ["sources", "trigger", "ghost"]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/source "ghost" not found/);
      const noReason = keelCli(home, ["sources", "pause", "hourly"]);
      expect(noReason.code).toBe(2);
      expect(noReason.stderr).toMatch(/--reason/);
      const badFlag = keelCli(home, ["sources", "list", "--nope"]);
      expect(badFlag.code).toBe(2);
    } finally {
      keelCli(home, ["stop"]);
    }
  }, 90_000);

  it("refuses a bad cron expression at load, naming the source", () => {
    const home = homeWith(
      `sources:\n  broken:\n    pipeline: document-analysis\n    cron: "61 * * * *"\n`,
    );
    const result = keelCli(home, ["sources", "list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/sources\.broken\.cron/);
    expect(result.stderr).toMatch(/invalid cron expression "61 \* \* \* \*"/);
  });
});
