import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeConfig } from "./node-process.js";
import { keelCli, keelJson as json } from "./keel-cli.js";

/**
 * The operator's run procedures (docs/operator-guide.md) as an operator runs them: `keel` in a
 * subprocess against a background node started with `keel start`. Side-effect counters written
 * by the fixture's steps show which steps ran again after each retry.
 */
const fixture = fileURLToPath(new URL("./fixtures/operator-pipelines.mjs", import.meta.url));

async function waitForStatus(home: string, id: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const shown = keelCli(home, ["jobs", "show", id, "--format", "json"]);
    if (shown.code === 0 && JSON.parse(shown.stdout).status === status) return;
    if (Date.now() > deadline) throw new Error(`run ${id} never became ${status}: ${shown.stdout}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** How many times each step of a run executed, from the fixture's side-effect log. */
function ranSteps(effects: string, runId: string): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!existsSync(effects)) return counts;
  for (const line of readFileSync(effects, "utf8").split("\n")) {
    const [run, step] = line.split(" ");
    if (run === runId && step) counts[step] = (counts[step] ?? 0) + 1;
  }
  return counts;
}

describe("keel operator procedures", () => {
  it("quarantine, retry (from the checkpoint and from a step), cancel, purge, audit", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-ops-"));
    const effects = join(home, "effects.log");
    const env = { KEEL_TEST_EFFECTS: effects };
    writeConfig(home, [fixture]);
    const broken = `${effects}.broken`;
    writeFileSync(broken, "the parser has a bug\n");
    const started = keelCli(home, ["start", "--format", "json"], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const submit = (text: string, extra: string[] = []) =>
        keelCli(
          home,
          ["submit", "ingest", "--input", JSON.stringify({ text }), ...extra, "--format", "json"],
          env,
        );
      const failed = submit("alpha beta gamma", ["--wait"]);
      expect(failed.code).toBe(1);
      const a = JSON.parse(failed.stdout);
      expect(a).toMatchObject({
        status: "quarantined",
        quarantine_reason: "permanent:parse_error",
      });
      const b = JSON.parse(submit("delta", ["--wait"]).stdout);
      expect(b.status).toBe("quarantined");

      // triage: what is quarantined, why, and what a retry would run
      const listed = json(home, ["quarantine", "list", "--since", "24h"]);
      expect(listed.runs.map((r: { id: string }) => r.id)).toEqual([b.id, a.id]);
      expect(listed.next_cursor).toBeNull();
      expect(
        json(home, ["quarantine", "list", "--reason", "permanent:parse_error"]).runs,
      ).toHaveLength(2);
      expect(json(home, ["quarantine", "list", "--reason", "max_attempts"]).runs).toEqual([]);
      expect(keelCli(home, ["quarantine", "list", "--since", "24h"]).stdout).toContain(a.id);
      const byReason = keelCli(home, ["quarantine", "list", "--reason", "permanent:parse_error"]);
      expect(byReason.stdout).toMatch(/permanent:parse_error\s+parse/);
      expect(
        keelCli(home, ["jobs", "list", "--status", "quarantined", "--since", "24h"]).stdout,
      ).toContain(b.id);
      const failedJobs = json(home, ["jobs", "list", "--status", "quarantined", "--since", "24h"]);
      expect(failedJobs.runs).toHaveLength(2);
      const shown = json(home, ["quarantine", "show", a.id]);
      expect(shown).toMatchObject({
        id: a.id,
        checkpointed: ["fetch"],
        to_run: ["parse", "index"],
      });
      expect(shown.failures).toMatchObject([{ step: "parse", attempt: 1, code: "parse_error" }]);
      expect(keelCli(home, ["quarantine", "show", a.id]).stdout).toMatch(
        /a retry runs\s+parse, index/,
      );

      // fix the cause, then retry with a note: the checkpointed fetch does not run again
      rmSync(broken);
      const retried = json(home, ["quarantine", "retry", a.id, "--note", "fixed the parser"]);
      expect(retried).toMatchObject({
        status: "pending",
        retry: {
          from_status: "quarantined",
          from_step: null,
          cleared: [],
          note: "fixed the parser",
        },
      });
      await waitForStatus(home, a.id, "succeeded");
      expect(ranSteps(effects, a.id)).toEqual({ fetch: 1, parse: 2, index: 1 });

      // run one step again with everything downstream of it, never upstream
      const fromStep = json(home, [
        "jobs",
        "retry",
        a.id,
        "--from-step",
        "index",
        "--note",
        "reindex with the new tokenizer",
      ]);
      expect(fromStep.retry).toMatchObject({
        from_status: "succeeded",
        from_step: "index",
        cleared: ["index"],
      });
      await waitForStatus(home, a.id, "succeeded");
      expect(ranSteps(effects, a.id)).toEqual({ fetch: 1, parse: 2, index: 2 });
      const badStep = keelCli(home, ["jobs", "retry", a.id, "--from-step", "nope", "--note", "x"]);
      expect(badStep.code).toBe(2);
      expect(badStep.stderr).toMatch(
        /pipeline "ingest" has no step "nope"; its steps are: fetch, parse, index/,
      );
      const notQuarantined = keelCli(home, ["quarantine", "retry", a.id, "--note", "x"]);
      expect(notQuarantined.code).toBe(1);
      expect(notQuarantined.stderr).toMatch(/not_quarantined.*is succeeded, not quarantined/);

      // cancel a run that waits for later, then change our mind: it runs now, once
      const later = JSON.parse(submit("later", ["--at", "1h"]).stdout);
      const pending = JSON.parse(submit("pending", ["--at", "1h"]).stdout);
      const cancelled = json(home, ["jobs", "cancel", later.id, "--reason", "duplicate"]);
      expect(cancelled).toMatchObject({ id: later.id, status: "cancelled" });
      const again = keelCli(home, ["jobs", "cancel", later.id, "--reason", "duplicate"]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/illegal_transition/);
      json(home, ["jobs", "retry", later.id, "--note", "not a duplicate after all"]);
      await waitForStatus(home, later.id, "succeeded");
      expect(ranSteps(effects, later.id)).toEqual({ fetch: 1, parse: 1, index: 1 });
      // a pending run cannot be retried
      const notYet = keelCli(home, ["jobs", "retry", pending.id, "--note", "x"]);
      expect(notYet.code).toBe(1);
      expect(notYet.stderr).toMatch(/only quarantined, cancelled or succeeded runs can be retried/);

      // purge: a bare purge is refused; dry runs delete nothing; only quarantined runs go
      const bare = keelCli(home, ["quarantine", "purge"]);
      expect(bare.code).toBe(2);
      expect(bare.stderr).toMatch(/needs --older-than-days N or --reason R, or --all/);
      expect(
        json(home, ["quarantine", "purge", "--older-than-days", "90", "--dry-run"]),
      ).toMatchObject({
        dry_run: true,
        count: 0,
      });
      expect(json(home, ["quarantine", "purge", "--older-than-days", "90"]).count).toBe(0);
      const dry = json(home, [
        "quarantine",
        "purge",
        "--reason",
        "permanent:parse_error",
        "--dry-run",
      ]);
      expect(dry).toMatchObject({
        dry_run: true,
        count: 1,
        ids: [b.id],
        reason: "permanent:parse_error",
      });
      expect(keelCli(home, ["jobs", "show", b.id]).code).toBe(0);
      const purged = json(home, ["quarantine", "purge", "--reason", "permanent:parse_error"]);
      expect(purged).toMatchObject({ dry_run: false, count: 1, ids: [b.id] });
      expect(keelCli(home, ["jobs", "show", b.id]).code).toBe(1);
      expect(json(home, ["quarantine", "purge", "--all", "--dry-run"]).count).toBe(0);
      for (const id of [a.id, later.id, pending.id])
        expect(keelCli(home, ["jobs", "show", id]).code).toBe(0);

      // every change above is in the audit log, with who did it
      // (the node's first start also created the admin token: token.create, by keel itself)
      const audit = json(home, ["audit", "list", "--since", "24h"]);
      audit.entries = audit.entries.filter((e: { action: string }) => e.action !== "token.create");
      expect(audit.entries.map((e: { action: string }) => e.action)).toEqual([
        "quarantine.purge",
        "quarantine.purge",
        "run.retry",
        "run.cancel",
        "run.retry",
        "run.retry",
      ]);
      expect(audit.entries[0]).toMatchObject({
        target: "quarantine",
        details: { count: 1, ids: [b.id] },
      });
      expect(audit.entries[3]).toMatchObject({ target: later.id, reason: "duplicate" });
      // through the node's API: the admin token, on behalf of this machine's user
      for (const e of audit.entries) expect(e.actor).toMatch(/^token:admin\/cli:.+/);
      const retries = json(home, ["audit", "list", "--action", "run.retry", "--limit", "1"]);
      expect(retries.entries).toMatchObject([
        { target: later.id, reason: "not a duplicate after all" },
      ]);
      expect(retries.next_cursor).toEqual(expect.any(Number));
      expect(keelCli(home, ["audit", "list", "--since", "24h"]).stdout).toMatch(/run\.cancel/);
      const retryTable = keelCli(home, ["audit", "list", "--action", "run.retry"]).stdout;
      expect(retryTable).toContain("reindex with the new tokenizer");
      expect(retryTable).not.toContain("run.cancel");
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }
  }, 180_000);

  it("refuses bad flags with exit 2, changing nothing", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-ops-bad-"));
    const cases: [string[], RegExp][] = [
      [["jobs", "cancel", "run_x"], /required option '--reason <text>' not specified/],
      [["jobs", "cancel", "run_x", "--reason", " "], /--reason must not be empty/],
      [["jobs", "retry", "run_x"], /required option '--note <text>' not specified/],
      [["jobs", "retry", "run_x", "--note", ""], /--note must not be empty/],
      [["jobs", "retry", "run_x", "--note", "x", "--from-step", "no such!"], /is not a step name/],
      [["quarantine", "retry", "run_x"], /required option '--note <text>'/],
      [["quarantine", "list", "--limit", "0"], /--limit must be a whole number from 1/],
      [["quarantine", "list", "--since", "yesterday"], /neither a duration/],
      [["quarantine", "purge"], /needs --older-than-days N or --reason R, or --all/],
      [["quarantine", "purge", "--dry-run"], /needs --older-than-days N or --reason R, or --all/],
      [
        ["quarantine", "purge", "--all", "--reason", "timeout"],
        /--all purges every quarantined run/,
      ],
      [
        ["quarantine", "purge", "--older-than-days", "0"],
        /--older-than-days must be a whole number from 1/,
      ],
      [
        ["quarantine", "purge", "--older-than-days", "ninety"],
        /--older-than-days must be a whole number/,
      ],
      [["audit", "list", "--cursor", "abc"], /--cursor must be a whole number/],
      [["audit", "list", "--action", " "], /--action must not be empty/],
      [["quarantine", "frobnicate"], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const result = keelCli(home, args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(json(home, ["audit", "list"]).entries).toEqual([]);
    const missing = keelCli(home, ["quarantine", "show", "run_00000000000000000000000000"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found/);
  }, 120_000);

  it("prints help with examples for each operator command", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-ops-help-"));
    for (const args of [
      ["jobs", "cancel"],
      ["jobs", "retry"],
      ["quarantine", "list"],
      ["quarantine", "show"],
      ["quarantine", "retry"],
      ["quarantine", "purge"],
      ["audit", "list"],
    ]) {
      const help = keelCli(home, [...args, "--help"]);
      expect(help.code, args.join(" ")).toBe(0);
      expect(help.stdout, args.join(" ")).toMatch(/Examples:\n {2}keel /);
    }
  });
});
