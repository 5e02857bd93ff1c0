// Following a run from the CLI, against a real background node: `submit --wait` prints each step
// change and progress report live and ends with the output (or why it failed), `jobs show` has
// the step in flight with its elapsed time and progress, `jobs logs` has the run's lines from
// keel.log, and SIGHUP reopens keel.log after it was renamed (logrotate's way).
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keelCli, keelJson, spawnKeelCli } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";
import { startOtlpReceiver, type OtlpReceiver } from "../engine/otlp-receiver.js";

const fixture = fileURLToPath(new URL("./fixtures/progress-pipelines.mjs", import.meta.url));
const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const header = `00-${callerTrace}-00f067aa0ba902b7-01`;

let home = "";
let env: Record<string, string> = {};
let pid = 0;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  home = mkdtempSync(join(tmpdir(), "keel-cli-traces-"));
  const config = writeConfig(home, [fixture]);
  env = {
    KEEL_LOG_LEVEL: "info",
    KEEL_SERVER_PORT: "0",
    KEEL_TEST_EFFECTS: join(home, "fx"),
    KEEL_TRACING_OTLP_URL: receiver.url,
  };
  const started = keelJson(home, ["start", "--config", config], env);
  pid = started.pid as number;
}, 60_000);

afterAll(async () => {
  keelCli(home, ["stop", "--force"], env);
  rmSync(home, { recursive: true, force: true });
  await receiver.close();
}, 60_000);

describe("following a run", () => {
  it("submit --wait prints steps and progress live, jobs show the step in flight, then the output", async () => {
    const wait = spawnKeelCli(
      home,
      ["submit", "paged", "--input", "{}", "--wait", "--traceparent", header],
      env,
    );
    try {
      await wait.waitFor("stdout", /pages {2}progress 5\/5 \(100%\) page 5 of 5/);
      expect(wait.stdout()).toMatch(/pages {2}running/);
      // pages 1-4 come 60 ms apart: a follower that subscribed late sees only the newest report, so
      // "live" is proven by 5/5 printed while the step still runs (running_steps below)
      const [run] = keelJson(home, ["jobs", "list", "--pipeline", "paged"], env).runs;
      const shown = keelJson(home, ["jobs", "show", run.id], env);
      expect(shown.trace_id).toBe(callerTrace);
      expect(shown.running_steps).toEqual([
        expect.objectContaining({
          step: "pages",
          attempt: 1,
          elapsed_ms: expect.any(Number),
          progress: expect.objectContaining({ done: 5, total: 5, message: "page 5 of 5" }),
        }),
      ]);
      const table = keelCli(home, ["jobs", "show", run.id], env);
      expect(table.stdout).toMatch(
        /running:\nSTEP +ATTEMPT +STARTED +ELAPSED +PROGRESS\npages +1 /,
      );
      expect(table.stdout).toContain("5/5 (100%) page 5 of 5");
    } finally {
      writeFileSync(`${env.KEEL_TEST_EFFECTS}.release`, "");
    }
    expect(await wait.exited).toBe(0);
    expect(wait.stdout()).toMatch(/summarize {2}succeeded/);
    expect(wait.stdout()).toMatch(/^output +\{"summarize":\{"summary":"5 pages"\}\}$/m);
  }, 60_000);

  it("jobs show has checkpoint outputs; submit --wait of a failing run ends with why", () => {
    const failed = keelCli(home, ["submit", "fails", "--input", "{}", "--wait"], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/boom {2}failed/);
    expect(failed.stdout).toMatch(/^quarantine +max_attempts$/m);
    expect(failed.stderr).toMatch(/the parser found no header row/);
    const id = /^run +(\S+)$/m.exec(failed.stdout)?.[1] ?? "";
    const shown = keelCli(home, ["jobs", "show", id], env).stdout;
    expect(shown).toMatch(
      /failed attempts:\nAT +STEP +ATTEMPT +CODE +MESSAGE\n.*boom +1 +\S+ +the parser found no header row/,
    );
    const [paged] = keelJson(home, ["jobs", "list", "--pipeline", "paged"], env).runs;
    expect(keelCli(home, ["jobs", "show", paged.id], env).stdout).toMatch(
      /pages +1 +\d+ +- +\{"pages":5,"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01"\}/,
    );
  }, 60_000);

  it("exports the run's spans to KEEL_TRACING_OTLP_URL, under the caller's span", async () => {
    const [run] = keelJson(home, ["jobs", "list", "--pipeline", "paged"], env).runs;
    const deadline = Date.now() + 15_000;
    const spanOf = (name: string) =>
      receiver.spans.find((s) => s.name === name && s.attributes["keel.run_id"] === run.id);
    while (!(spanOf("step summarize") && spanOf("run paged")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const runSpan = spanOf("run paged");
    expect(runSpan).toMatchObject({ traceId: callerTrace, parentSpanId: "00f067aa0ba902b7" });
    expect(spanOf("step pages")).toMatchObject({
      traceId: callerTrace,
      parentSpanId: runSpan?.spanId,
      attributes: expect.objectContaining({ "keel.step": "pages", "keel.attempt": 1 }),
    });
  }, 60_000);

  it("jobs logs has the run's lines, each with its trace id, step and attempt", () => {
    const [run] = keelJson(home, ["jobs", "list", "--pipeline", "paged"], env).runs;
    const logs = keelJson(home, ["jobs", "logs", run.id], env);
    const pages = logs.lines.filter((l: { msg: string }) => l.msg === "page read");
    expect(pages).toHaveLength(5);
    for (const line of pages)
      expect(line).toMatchObject({
        runId: run.id,
        traceId: callerTrace,
        step: "pages",
        attempt: 1,
      });
    expect(logs.lines.map((l: { msg: string }) => l.msg)).toEqual(
      expect.arrayContaining(["run started", "run ended"]),
    );
    const table = keelCli(home, ["jobs", "logs", run.id], env).stdout;
    expect(table).toMatch(/INFO +\[pages#1\] page read page=3/);
  }, 60_000);

  it("reopens keel.log on SIGHUP after it was renamed, and jobs logs reads both files", async () => {
    const logs = join(home, "logs");
    const [first] = keelJson(home, ["jobs", "list", "--pipeline", "paged"], env).runs;
    renameSync(join(logs, "keel.log"), join(logs, "keel.log.1"));
    process.kill(pid, "SIGHUP");
    const deadline = Date.now() + 10_000;
    while (!existsSync(join(logs, "keel.log")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(join(logs, "keel.log"), "utf8")).toContain("log file reopened");
    const failed = keelCli(home, ["submit", "fails", "--input", "{}", "--wait"], env);
    const id = /^run +(\S+)$/m.exec(failed.stdout)?.[1] ?? "";
    expect(readFileSync(join(logs, "keel.log"), "utf8")).toContain(id);
    expect(readFileSync(join(logs, "keel.log.1"), "utf8")).not.toContain(id);
    const older = keelJson(home, ["jobs", "logs", first.id], env);
    expect(older.files).toEqual(["keel.log.1", "keel.log"]);
    expect(older.lines.length).toBeGreaterThan(5);
    // the node is still alive and answering
    expect(keelCli(home, ["status"], env).code).toBe(0);
  }, 60_000);
});
