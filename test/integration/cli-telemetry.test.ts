import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { keelCli } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";

const fixture = fileURLToPath(new URL("./fixtures/slow-pipelines.mjs", import.meta.url));

/**
 * `keel telemetry ...` as an operator runs it, against a background node (`keel start`) that ran
 * demo runs: three that succeed and one with bad input, quarantined by its first step.
 */
function json(home: string, args: string[]) {
  const result = keelCli(home, [...args, "--format", "json"]);
  expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout);
}

const text = "# T\nThe council shall pay $5 because wells fail.";

describe("keel telemetry", () => {
  it("reports throughput, failures and latency of a node's runs, and cleans, audited", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-telemetry-"));
    writeFileSync(join(home, "keel.yaml"), "telemetry:\n  flush_ms: 100\n");
    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
    try {
      for (const name of ["a", "b", "c"]) {
        const input = JSON.stringify({ name, text });
        const ok = keelCli(home, ["submit", "document-analysis", "--input", input, "--wait"]);
        expect(ok.code, ok.stderr).toBe(0);
      }
      const bad = keelCli(home, ["submit", "document-analysis", "--input", '{"name":1}', "--wait"]);
      expect(bad.code).toBe(1);

      // the node writes its counts within flush_ms
      const deadline = Date.now() + 20_000;
      let throughput = json(home, ["telemetry", "throughput"]);
      while (throughput.totals[0]?.finished !== 4 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        throughput = json(home, ["telemetry", "throughput"]);
      }
      expect(throughput).toMatchObject({ pipeline: null, bucket: "minute" });
      expect(Date.parse(throughput.until) - Date.parse(throughput.since)).toBeGreaterThanOrEqual(
        3.6e6,
      );
      expect(throughput.totals).toEqual([
        {
          pipeline: "document-analysis",
          runs: { succeeded: 3, quarantined: 1, cancelled: 0 },
          finished: 4,
          runs_per_s: expect.any(Number),
          bytes: 3 * Buffer.byteLength(text),
          bytes_per_s: expect.any(Number),
          source_bytes: 0,
          active_s: expect.any(Number),
          runs_per_s_while_active: expect.any(Number),
          bytes_per_s_while_active: expect.any(Number),
        },
      ]);
      const series = throughput.series as { start: string; finished: number }[];
      expect(series.reduce((n, s) => n + s.finished, 0)).toBe(4);
      expect(Date.parse(series[0]?.start ?? "") % 60_000).toBe(0);
      expect(json(home, ["telemetry", "throughput", "--since", "1d"]).bucket).toBe("hour");

      const failures = json(home, ["telemetry", "failures", "--since", "30m"]);
      expect(failures.failures).toEqual([
        { pipeline: "document-analysis", step: "sanitization", code: "invalid_document", count: 1 },
      ]);
      expect(failures.quarantines).toEqual([
        { pipeline: "document-analysis", reason: "permanent:invalid_document", count: 1 },
      ]);

      const latency = json(home, ["telemetry", "latency", "--pipeline", "document-analysis"]);
      expect(latency.steps).toHaveLength(11);
      for (const s of latency.steps) {
        const ms = expect.any(Number);
        expect(s).toEqual({
          pipeline: "document-analysis",
          step: expect.any(String),
          count: 3,
          avg_ms: ms,
          p50_ms: ms,
          p95_ms: ms,
          p99_ms: ms,
          max_ms: ms,
        });
        expect(s.p50_ms).toBeLessThanOrEqual(s.p95_ms);
        expect(s.p95_ms).toBeLessThanOrEqual(s.p99_ms);
        expect(s.p99_ms).toBeLessThanOrEqual(s.max_ms);
      }
      expect(json(home, ["telemetry", "latency", "--pipeline", "nope"]).steps).toEqual([]);
      const table = keelCli(home, ["telemetry", "latency"]);
      expect(table.stdout).toMatch(/PIPELINE +STEP +COUNT +AVG_MS +P50_MS/);
      expect(table.stdout).toMatch(/document-analysis +sanitization +3 /);

      const dry = json(home, ["telemetry", "clean", "--older-than-days", "1", "--dry-run"]);
      expect(dry).toMatchObject({ dry_run: true, older_than_days: 1, rows: 0, minutes: 0 });
      const cleaned = json(home, ["telemetry", "clean", "--older-than-days", "1"]);
      expect(cleaned).toMatchObject({ dry_run: false, rows: 0 });
      const audit = json(home, ["audit", "list", "--action", "telemetry.clean"]);
      expect(audit.entries).toHaveLength(1);
      expect(audit.entries[0]).toMatchObject({ target: "telemetry", details: { rows: 0 } });

      for (const args of [
        ["throughput", "--since", "yesterday"],
        ["throughput", "--bucket", "week"],
        ["clean"],
        ["clean", "--older-than-days", "0"],
      ]) {
        const refused = keelCli(home, ["telemetry", ...args]);
        expect(refused.code, args.join(" ")).toBe(2);
      }
    } finally {
      keelCli(home, ["stop"]);
    }
  }, 90_000);
  it("a burst reads at its own rate while active, next to the plain average", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-telemetry-burst-"));
    const env = { KEEL_SERVER_PORT: "0", KEEL_TEST_EFFECTS: join(home, "fx") };
    const config = writeConfig(home, [fixture], "telemetry:\n  flush_ms: 100\n");
    const started = keelCli(home, ["start", "--config", config], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const run = keelCli(home, ["submit", "burst", "--input", "{}", "--wait"], env);
      expect(run.code, run.stderr).toBe(0);
    } finally {
      // the last flush is at stop
      expect(keelCli(home, ["stop"], env).code).toBe(0);
    }
    const doc = json(home, ["telemetry", "throughput", "--since", "1h"]);
    const [total] = doc.totals as Record<string, number>[];
    expect(total).toMatchObject({ pipeline: "burst", finished: 1, bytes: 100_000_000 });
    // 100 MB in about a second of work: the rate while active says so; the hour's average cannot
    expect(total?.active_s).toBeGreaterThanOrEqual(1);
    expect(total?.active_s).toBeLessThan(30);
    expect(total?.bytes_per_s_while_active).toBeGreaterThan(100_000_000 / 30);
    expect(total?.bytes_per_s).toBeLessThan(100_000_000 / 3600 + 1);
    const minute = (doc.series as Record<string, number>[]).find((s) => (s.bytes ?? 0) > 0);
    // the minute of the burst may be the range's last, cut at the query's time: its plain average
    // is over the seconds of it that passed, so only "higher" holds whatever second this runs in
    expect(minute?.bytes_per_s_while_active).toBeGreaterThan(100_000_000 / 30);
    expect(minute?.bytes_per_s_while_active).toBeGreaterThan(minute?.bytes_per_s ?? 0);
    const table = keelCli(home, ["telemetry", "throughput", "--since", "1h"]);
    expect(table.stdout).toMatch(/BYTES_PER_S_WHILE_ACTIVE/);
  }, 60_000);
});
