import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { writeConfig } from "./node-process.js";
import { keelCli, keelJson } from "./keel-cli.js";

/**
 * Time, duration and nesting limits through the CLI, with no node running (the commands work on
 * the store in-process): refused input exits 2 naming the limit and stores nothing; a row written
 * by hand with a time no calendar holds is listed with a marker and reported by `db check`.
 */
const fixture = fileURLToPath(new URL("./fixtures/operator-pipelines.mjs", import.meta.url));
let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "keel-cli-limits-"));
  writeConfig(home, [fixture]);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const runCount = () => keelJson(home, ["jobs", "list", "--limit", "1000"]).runs.length as number;

function deep(levels: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

describe("CLI input limits", () => {
  it("a far-future --at is refused with exit 2 naming the range, and nothing is stored", () => {
    const before = runCount();
    for (const at of ["999999999d", "+275760-09-13T00:00:00Z", "10000-01-01T00:00:00Z"]) {
      const res = keelCli(home, ["submit", "ingest", "--input", "{}", "--at", at]);
      expect(res.code, `${at}: ${res.stdout}${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(/--at|at/);
      expect(res.stderr).toMatch(/36500d|9999/);
    }
    expect(runCount()).toBe(before);
  });

  it("a huge --since is refused with exit 2 naming the range", () => {
    for (const args of [
      ["jobs", "list", "--since", "99999999999d"],
      ["telemetry", "failures", "--since", "99999999999d"],
      ["telemetry", "throughput", "--since", "99999999999d"],
      ["telemetry", "latency", "--since", "99999999999d"],
    ]) {
      const res = keelCli(home, args);
      expect(res.code, `${args.join(" ")}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(/36500d/);
    }
  });

  it("an input nested deeper than the limit is refused with exit 2, and nothing is stored", () => {
    const before = runCount();
    const res = keelCli(home, ["submit", "ingest", "--input", JSON.stringify(deep(1500))]);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/nested deeper than 64 levels/);
    expect(runCount()).toBe(before);
    // at the limit it is taken
    const ok = keelCli(home, ["submit", "ingest", "--input", JSON.stringify(deep(60))]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("a stored row with an unrenderable time is listed with a marker and reported by db check", () => {
    const run = keelJson(home, ["submit", "ingest", "--input", '{"text":"x"}']);
    const db = new Database(join(home, "keel.db"));
    try {
      db.prepare("UPDATE runs SET scheduled_for = ? WHERE id = ?").run(8.64e22, run.id);
    } finally {
      db.close();
    }
    const listed = keelJson(home, ["jobs", "list"]).runs.find(
      (r: { id: string }) => r.id === run.id,
    );
    expect(listed.scheduled_for).toMatch(/^invalid time/);
    const text = keelCli(home, ["jobs", "list"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(run.id);
    const shown = keelJson(home, ["jobs", "show", run.id]);
    expect(shown.scheduled_for).toMatch(/^invalid time/);
    const check = keelCli(home, ["db", "check", "--format", "json"]);
    expect(check.code).not.toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ code: "unrenderable_run", run_id: run.id }),
    );
    // and the run can still be cancelled, whole: the answer renders too
    const cancelled = keelJson(home, ["jobs", "cancel", run.id, "--reason", "a time out of range"]);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.scheduled_for).toMatch(/^invalid time/);
  });
});
