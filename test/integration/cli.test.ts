import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { cliEnv, keelCli } from "./keel-cli.js";
import { keelBin } from "./node-process.js";

const doc = JSON.stringify({
  name: "tiny",
  text: "# Plan\nThe council shall fund the pump for $1,000 because wells fail.",
});

describe("keel CLI", () => {
  it("runs the demo of the README's quick start: every document's 11 steps succeed", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-demo-"));
    const result = keelCli(home, ["demo", "--format", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.runs.length).toBeGreaterThanOrEqual(6);
    for (const run of report.runs) expect(run.status).toBe("succeeded");
    expect(report.steps.map((s: { step: string }) => s.step)).toHaveLength(11);
    const table = keelCli(home, ["demo"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ok +\S+ +embedding/);
    expect(table.stdout).toMatch(/runs succeeded in \d+ ms/);
  });

  it("submits with --wait, then lists and shows the run as stable JSON", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-"));
    // the waiting submit needs a node: run it in the demo command's place via a background node
    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
    try {
      const submitted = keelCli(home, [
        "submit",
        "document-analysis",
        "--input",
        doc,
        "--wait",
        "--format",
        "json",
      ]);
      expect(submitted.code, submitted.stderr).toBe(0);
      const run = JSON.parse(submitted.stdout);
      expect(run).toMatchObject({
        pipeline: "document-analysis",
        status: "succeeded",
        created: true,
        attempts: 0,
        terminal: true,
      });
      expect(Object.keys(run.output)).toEqual(["dag_validation"]);

      const again = JSON.parse(
        keelCli(home, [
          "submit",
          "document-analysis",
          "--input",
          doc,
          "--idempotency-key",
          "k1",
          "--format",
          "json",
        ]).stdout,
      );
      const repeat = JSON.parse(
        keelCli(home, [
          "submit",
          "document-analysis",
          "--input",
          doc,
          "--idempotency-key",
          "k1",
          "--format",
          "json",
        ]).stdout,
      );
      expect(repeat.id).toBe(again.id);
      expect(repeat.created).toBe(false);

      const listed = keelCli(home, [
        "jobs",
        "list",
        "--status",
        "succeeded",
        "--since",
        "1h",
        "--format",
        "json",
      ]);
      expect(listed.code).toBe(0);
      const page = JSON.parse(listed.stdout);
      expect(page.runs.map((r: { id: string }) => r.id)).toContain(run.id);
      expect(page).toHaveProperty("next_cursor");

      const shown = JSON.parse(keelCli(home, ["jobs", "show", run.id, "--format", "json"]).stdout);
      expect(shown.steps).toHaveLength(11);
      expect(shown.steps[0]).toHaveProperty("duration_ms");
      expect(shown.transitions.at(-1)).toMatchObject({
        step: null,
        from: "running",
        to: "succeeded",
        reason: "completed",
      });

      const table = keelCli(home, ["jobs", "show", run.id]);
      expect(table.stdout).toContain("transitions:");
      expect(table.stdout).toContain("dag_validation");
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }
  }, 120_000);

  it("refuses bad input with exit 2 and a message naming the problem, storing nothing", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-bad-"));
    const cases: [string[], RegExp][] = [
      [["submit", "document-analysis", "--input", "{not json"], /--input is not valid JSON/],
      [
        ["submit", "no-such-pipeline", "--input", "{}"],
        /unknown pipeline "no-such-pipeline".*document-analysis/,
      ],
      [["jobs", "list", "--status", "done"], /--status must be one of pending, running/],
      [["jobs", "list", "--limit", "0"], /--limit must be a whole number from 1/],
      [["jobs", "list", "--since", "yesterday"], /neither a duration/],
      [
        ["submit", "document-analysis", "--input", "{}", "--priority", "high"],
        /--priority must be a whole number/,
      ],
      [["submit", "document-analysis", "--input", "{}", "--at", "soon"], /--at "soon" is neither/],
      [["jobs", "frobnicate"], /unknown command/],
      [["--format", "xml", "jobs", "list"], /--format must be "table" or "json"/],
    ];
    for (const [args, message] of cases) {
      const result = keelCli(home, args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    const listed = JSON.parse(keelCli(home, ["jobs", "list", "--format", "json"]).stdout);
    expect(listed.runs).toEqual([]);
  }, 120_000);

  it("names the bad key, its line and the nearest valid key in keel.yaml", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-config-"));
    writeFileSync(join(home, "keel.yaml"), "workers:\n  concurency: 4\n");
    const result = keelCli(home, ["jobs", "list"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /keel\.yaml:2: workers\.concurency: unknown key "concurency"; did you mean "concurrency"\?/,
    );
  });

  it("jobs show of an unknown run exits 1", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-missing-"));
    const result = keelCli(home, ["jobs", "show", "run_00000000000000000000000000"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not_found.*run_00000000000000000000000000/);
  });

  it("ends quietly with exit 0 when its reader closes the pipe (keel ... | head)", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-pipe-"));
    const child = spawn(process.execPath, [keelBin, "--home", home, "health", "--help"], {
      env: cliEnv({}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    // closed before the command has started: its first write meets EPIPE
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it("prints help with examples and environment variables", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-help-"));
    const help = keelCli(home, ["submit", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(keelCli(home, ["--help"]).stdout).toMatch(/KEEL_HOME/);
  });
});
