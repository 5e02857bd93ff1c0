import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { countingServer } from "./counting-server.js";
import { keelCli, keelJson as json } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";

/**
 * `keel verify` and `keel golden` as docs/determinism.md tells them, against a node started with
 * `keel start`: the example pipeline of examples/determinism/ produces each mismatch class for
 * real, and nothing a verify does is written to the run.
 */
const repo = fileURLToPath(new URL("../../", import.meta.url));
const fixture = join(repo, "test/integration/fixtures/determinism-pipelines.mjs");

/** the example, copied where the test may edit its rates.json, importing this checkout's keel */
function copyExample(home: string): string {
  const dir = join(home, "demo");
  mkdirSync(dir);
  const dist = pathToFileURL(join(repo, "dist/src/index.js")).href;
  const source = readFileSync(join(repo, "examples/determinism/pipeline.mjs"), "utf8");
  writeFileSync(join(dir, "pipeline.mjs"), source.replace('} from "keel";', `} from "${dist}";`));
  copyFileSync(join(repo, "examples/determinism/rates.json"), join(dir, "rates.json"));
  return dir;
}

/** GET /rate answers "rate=2"; GET /hits says how many /rate calls it served */
const rateServer = () => countingServer("rate=2");

type StepReport = {
  step: string;
  status: string;
  class: string | null;
  calls: string[];
  fields: { path: string; a: unknown; b: unknown }[];
};
const byStep = (report: { steps: StepReport[] }) =>
  Object.fromEntries(report.steps.map((s) => [s.step, s]));

describe("keel verify and keel golden", () => {
  it("classifies each mismatch for real, writes nothing to the run, and diffs goldens", async () => {
    const server = await rateServer();
    const url = `${server.base}/rate`;
    const home = mkdtempSync(join(tmpdir(), "keel-cli-verify-"));
    const demo = copyExample(home);
    writeConfig(home, [join(demo, "pipeline.mjs"), fixture], "server:\n  port: 0\n");
    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
    try {
      const run = json(home, ["submit", "determinism-demo", "--input", '{"amount": 10}', "--wait"]);
      expect(run.status).toBe("succeeded");
      const before = json(home, ["jobs", "show", run.id]);

      const verified = keelCli(home, ["verify", run.id, "--replays", "3", "--format", "json"]);
      expect(verified.code, verified.stderr).toBe(1);
      const report = JSON.parse(verified.stdout);
      const steps = byStep(report);
      expect(steps.quote).toMatchObject({ status: "same", class: null });
      expect(steps.tax).toMatchObject({ status: "same", class: null });
      expect(steps.receipt).toMatchObject({
        class: "VOLATILE_LEAK",
        fields: [{ path: "$.issuedAt" }],
      });
      expect(steps.sample).toMatchObject({ class: "UNSEEDED_RNG", fields: [{ path: "$.ticket" }] });
      expect(steps.host).toMatchObject({ class: "EXTERNAL_CALL", calls: ["read /etc/hosts"] });
      expect(steps.sequence).toMatchObject({
        class: "DETERMINISM_VIOLATION",
        fields: [{ path: "$.number", a: 1, b: 2 }],
      });
      expect(report.classes).toEqual({
        VOLATILE_LEAK: 1,
        UNSEEDED_RNG: 1,
        EXTERNAL_CALL: 1,
        DETERMINISM_VIOLATION: 1,
      });
      // the table says the same to a person
      const table = keelCli(home, ["verify", run.id, "--replays", "2"]);
      expect(table.stdout).toMatch(/sample +mismatch +UNSEEDED_RNG/);
      // nothing of the verify reached the run; the audit log has it
      expect(json(home, ["jobs", "show", run.id])).toEqual(before);
      const audit = json(home, ["audit", "list"]);
      expect(audit.entries[0]).toMatchObject({ action: "run.verify", target: run.id });

      // someone edits the rates: replays agree with each other, not with the record
      writeFileSync(join(demo, "rates.json"), '{ "tax": 0.25 }');
      const seededRun = keelCli(home, [
        "verify",
        run.id,
        "--from-step",
        "tax",
        "--replays",
        "2",
        "--format",
        "json",
      ]);
      expect(seededRun.code, seededRun.stderr).toBe(1);
      const seeded = JSON.parse(seededRun.stdout);
      expect(seeded.steps).toHaveLength(1);
      expect(seeded.steps[0]).toMatchObject({
        step: "tax",
        class: "SEED_MISMATCH",
        fields: [{ path: "$.tax", a: 2, b: 2.5 }],
      });

      // the network: a direct fetch is refused in the sandbox, a ctx.fetch is served its record
      const reached = json(home, [
        "submit",
        "reaching",
        "--input",
        JSON.stringify({ url }),
        "--wait",
      ]);
      expect(reached.status).toBe("succeeded");
      expect(await server.hits()).toBe(2);
      const net = JSON.parse(
        keelCli(home, ["verify", reached.id, "--replays", "2", "--format", "json"]).stdout,
      );
      expect(byStep(net).direct).toMatchObject({ class: "EXTERNAL_CALL", calls: [`fetch ${url}`] });
      expect(byStep(net).recorded).toMatchObject({ status: "same" });
      expect(await server.hits()).toBe(2);

      // goldens: save, refuse the name again, list, diff against itself and another run
      const saved = json(home, ["golden", "save", run.id, "--name", "demo-1", "--note", "first"]);
      expect(saved).toMatchObject({ name: "demo-1", run: run.id, note: "first" });
      const again = keelCli(home, ["golden", "save", run.id, "--name", "demo-1"]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/golden_exists.*--replace/);
      expect(json(home, ["golden", "list"]).goldens.map((g: { name: string }) => g.name)).toEqual([
        "demo-1",
      ]);
      const same = keelCli(home, ["golden", "diff", "demo-1", run.id]);
      expect(same.code, same.stderr).toBe(0);
      expect(same.stdout).toMatch(/same\n$/);
      const other = json(home, [
        "submit",
        "determinism-demo",
        "--input",
        '{"amount": 10}',
        "--wait",
      ]);
      const differs = keelCli(home, ["golden", "diff", "demo-1", other.id, "--format", "json"]);
      expect(differs.code).toBe(1);
      const diff = byStep(JSON.parse(differs.stdout));
      expect(diff.tax).toMatchObject({
        status: "different",
        fields: [{ path: "$.tax", a: 2, b: 2.5 }],
      });
      // quote's generatedAt is volatile: masked, while its seeded fields differ run to run
      expect(diff.quote?.fields.map((f) => f.path)).not.toContain("$.generatedAt");
      expect(keelCli(home, ["golden", "diff", "demo-1", "nope"]).code).toBe(1);

      // history: a step run again keeps its earlier hash in its transitions
      const retried = keelCli(home, [
        "jobs",
        "retry",
        run.id,
        "--from-step",
        "tax",
        "--note",
        "new rates",
      ]);
      expect(retried.code, retried.stderr).toBe(0);
      let shown = json(home, ["jobs", "show", run.id]);
      for (
        const deadline = Date.now() + 20_000;
        shown.status !== "succeeded" && Date.now() < deadline;
      ) {
        await new Promise((r) => setTimeout(r, 100));
        shown = json(home, ["jobs", "show", run.id]);
      }
      const hashes = shown.transitions
        .filter((t: { step: string; to: string }) => t.step === "tax" && t.to === "succeeded")
        .map((t: { details: { hash: string } }) => t.details.hash);
      expect(hashes).toHaveLength(2);
      expect(hashes[0]).not.toBe(hashes[1]);
    } finally {
      keelCli(home, ["stop"]);
      server.child.kill();
    }
  }, 120_000);
});
