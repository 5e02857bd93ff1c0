import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeConfig } from "./node-process.js";
import { keelCli, spawnKeelCli, keelJson as json } from "./keel-cli.js";

/** `keel events tail [--follow]` against a background node, and on the store with none. */
const fixture = fileURLToPath(new URL("./fixtures/operator-pipelines.mjs", import.meta.url));

interface Transition {
  id: number;
  run_id: string;
  step: string | null;
  from: string | null;
  to: string;
}

/** the run's transitions as `step from->to`, in order */
function trail(transitions: Transition[], runId: string): string[] {
  return transitions
    .filter((t) => t.run_id === runId)
    .map((t) => `${t.step ?? "(run)"} ${t.from ?? "-"}->${t.to}`);
}

const ingestTrail = [
  "(run) -->pending",
  "(run) pending->running",
  "fetch pending->running",
  "fetch running->succeeded",
  "parse pending->running",
  "parse running->succeeded",
  "index pending->running",
  "index running->succeeded",
  "(run) running->succeeded",
];

describe("keel events tail", () => {
  it("follows a node's event stream, prints a run's transitions, stops on SIGTERM with exit 0", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-events-"));
    const env = { KEEL_TEST_EFFECTS: join(home, "effects.log") };
    writeConfig(home, [fixture]);
    const started = keelCli(home, ["start"], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const first = json(home, ["submit", "ingest", "--input", '{"text":"a b"}', "--wait"], env);
      const follower = spawnKeelCli(
        home,
        ["events", "tail", "--follow", "--limit", "1", "--format", "json"],
        env,
      );
      await follower.waitFor("stderr", /following the node's event stream at http:/);
      const run = json(home, ["submit", "ingest", "--input", '{"text":"c d"}', "--wait"], env);
      expect(run.status).toBe("succeeded");
      await follower.waitFor(
        "stdout",
        new RegExp(`"run_id":"${run.id}","step":null,"from":"running","to":"succeeded"`),
      );
      follower.child.kill("SIGTERM");
      expect(await follower.exited).toBe(0);

      // NDJSON: the newest transition before it started (--limit 1), then every one of the run
      const lines = follower
        .stdout()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Transition);
      expect(lines[0]).toMatchObject({ run_id: first.id, step: null, to: "succeeded" });
      expect(trail(lines, run.id)).toEqual(ingestTrail);
      expect(lines.map((t) => t.id)).toEqual([...lines.map((t) => t.id)].sort((a, b) => a - b));

      // tail of one run: table and JSON
      const table = keelCli(home, ["events", "tail", "--run", run.id]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^AT +RUN +STEP +CHANGE +REASON +ACTOR$/m);
      expect(table.stdout).toMatch(
        new RegExp(`${run.id} +parse +running -> succeeded +checkpoint`),
      );
      const page = json(home, ["events", "tail", "--run", run.id]);
      expect(trail(page.transitions, run.id)).toEqual(ingestTrail);
      expect(page.last_id).toBe(page.transitions.at(-1).id);
      const newest = json(home, ["events", "tail", "--limit", "2"]);
      expect(trail(newest.transitions, run.id)).toEqual(ingestTrail.slice(-2));
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }
  }, 90_000);

  it("with no node, follows the store by polling; SIGINT ends it with exit 0", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-events-store-"));
    expect(json(home, ["events", "tail"])).toEqual({ transitions: [], last_id: 0 });
    const follower = spawnKeelCli(home, ["events", "tail", "--follow"]);
    await follower.waitFor("stderr", /no node runs: polling the store every 250 ms/);
    await follower.waitFor("stdout", /^AT +RUN +STEP +CHANGE +REASON +ACTOR$/m);
    const run = json(home, ["submit", "document-analysis", "--input", "{}", "--at", "1h"]);
    await follower.waitFor(
      "stdout",
      new RegExp(`${run.id} +\\(run\\) +- -> pending +submitted +cli:`),
    );
    follower.child.kill("SIGINT");
    expect(await follower.exited).toBe(0);

    const bad = keelCli(home, ["events", "tail", "--limit", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be a whole number from 1 to 1000/);
  }, 60_000);
});
