import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson as json } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";

/**
 * `keel incident capture` against a running node: the archive holds what docs/operations.md
 * lists, and no token or secret, though both were planted where a careless capture would copy
 * them (a run's input, the config, the home's admin token).
 */
const fixture = fileURLToPath(new URL("./fixtures/determinism-pipelines.mjs", import.meta.url));
const secret = "planted-secret-0451";
const password = "planted-password-9132";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe("keel incident capture", () => {
  it("packs status, health, the window, runs, config, log, system and a postmortem, masking secrets", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-cli-capture-"));
    writeConfig(
      home,
      [fixture],
      `server:\n  port: 0\nsources:\n  by-hand:\n    pipeline: replayable\n    input: { n: 1, api_secret: "${secret}" }\n`,
    );
    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
    try {
      const token = json(home, ["tokens", "create", "--role", "viewer", "--name", "planted"])
        .token as string;
      const input = JSON.stringify({ n: 2, password, note: `token ${token}` });
      const run = json(home, ["submit", "replayable", "--input", input, "--wait"]);
      expect(run.status).toBe("succeeded");
      const out = join(home, "incident.tar.gz");
      const captured = json(home, [
        "incident",
        "capture",
        "--since",
        "1h",
        "--run",
        run.id,
        "--out",
        out,
      ]);
      expect(captured.file).toBe(out);
      expect(statSync(out).mode & 0o777).toBe(0o600);

      const dir = join(home, "unpacked");
      mkdirSync(dir);
      const tar = spawnSync("tar", ["xzf", out, "-C", dir], { encoding: "utf8" });
      expect(tar.status, tar.stderr).toBe(0);
      const names = filesUnder(dir)
        .map((f) => f.slice(dir.length + 1))
        .sort();
      expect(names).toEqual(
        [
          "README.txt",
          "audit.json",
          "config.json",
          "health.json",
          "logs/keel.log",
          "postmortem.md",
          `runs/${run.id}.json`,
          "status.json",
          "system.json",
          "transitions.json",
        ]
          .map((n) => `incident/${n}`)
          .sort(),
      );
      const read = (name: string) => readFileSync(join(dir, "incident", name), "utf8");
      expect(JSON.parse(read(`runs/${run.id}.json`))).toMatchObject({
        id: run.id,
        steps: [{ step: "draw" }, { step: "sum" }],
      });
      expect(
        JSON.parse(read("transitions.json")).some((t: { run_id: string }) => t.run_id === run.id),
      ).toBe(true);
      expect(JSON.parse(read("audit.json")).map((a: { action: string }) => a.action)).toContain(
        "token.create",
      );
      expect(JSON.parse(read("system.json"))).toMatchObject({
        node: process.version,
        cpus: expect.any(Number),
      });
      expect(JSON.parse(read("health.json"))).toHaveProperty("components");
      expect(read("postmortem.md")).toMatch(
        new RegExp(`\\| ${run.id} \\| \\(run\\) \\| running -> succeeded \\|`),
      );
      // the log excerpt: the node's JSON lines of the window (at warn here), or a line saying none
      const log = read("logs/keel.log").trim().split("\n");
      for (const line of log)
        if (line.startsWith("{")) expect(JSON.parse(line)).toHaveProperty("time");
      expect(log[0]).toMatch(/^\{|^\(no log line in the window\)$/);

      // nothing planted comes out: not the viewer token, the admin token, the secret, the password
      const admin = readFileSync(join(home, "admin.token"), "utf8").trim();
      const everything = filesUnder(dir)
        .map((f) => readFileSync(f, "utf8"))
        .join("\n");
      // the token's secret is everything after keel_<id>_: base64url, so it may hold "_" itself
      const tokenSecret = token.split("_").slice(2).join("_");
      for (const planted of [token, tokenSecret, admin, secret, password])
        expect(everything.includes(planted), `found ${planted.slice(0, 12)}...`).toBe(false);
      expect(everything).toContain("********");
    } finally {
      keelCli(home, ["stop"]);
    }
  }, 90_000);
});
