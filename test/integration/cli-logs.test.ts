// "Grep the trace id": every run leaves at least its start and its end in keel.log, at info, with
// its trace id, so a run that succeeded can be found in the log of a background node.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";

const fixture = fileURLToPath(new URL("./fixtures/slow-pipelines.mjs", import.meta.url));

describe("keel.log", () => {
  it("has the start and the end of a succeeded run, each with its trace id", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-logs-"));
    const config = writeConfig(home, [fixture]);
    const env = {
      KEEL_LOG_LEVEL: "info",
      KEEL_SERVER_PORT: "0",
      KEEL_TEST_EFFECTS: join(home, "fx"),
    };
    const started = keelCli(home, ["start", "--config", config], env);
    expect(started.code, started.stderr).toBe(0);
    let runId = "";
    let traceId = "";
    try {
      const run = keelJson(home, ["submit", "quick", "--input", '{"n":1}', "--wait"], env);
      expect(run.status).toBe("succeeded");
      runId = run.id as string;
      traceId = keelJson(home, ["jobs", "show", runId], env).trace_id as string;
      expect(traceId).toBeTruthy();
    } finally {
      // stopped first: every line the node wrote is in the file
      expect(keelCli(home, ["stop"], env).code).toBe(0);
    }
    const lines = readFileSync(join(home, "logs", "keel.log"), "utf8")
      .split("\n")
      .filter((l) => l.includes(traceId))
      .map((l) => JSON.parse(l) as { level: number; msg: string; runId: string; outcome?: string });
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["run started", "run ended"]));
    for (const line of lines) expect(line.runId).toBe(runId);
    expect(lines.find((l) => l.msg === "run started")).toMatchObject({ level: 30 });
    expect(lines.find((l) => l.msg === "run ended")).toMatchObject({
      level: 30,
      outcome: "succeeded",
    });
    rmSync(home, { recursive: true, force: true });
  }, 60_000);
});
