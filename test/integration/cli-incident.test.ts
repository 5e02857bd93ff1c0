import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { keelCli } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";
import { Database } from "../../src/store/sqlite/driver.js";

/** The operator's path during an incident: a frozen node, a stop left on, a damaged store. */
function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "keel-cli-incident-"));
}

type Component = { component: string; status: string; reason: string };
const component = (report: { components: Component[] }, name: string): Component | undefined =>
  report.components.find((c) => c.component === name);

/** a background node with a fixed worker count (an adaptive one may rightly report pressure) */
function startNode(home: string, config?: string, env: Record<string, string> = {}): number {
  const started = keelCli(
    home,
    [...(config ? ["--config", config] : []), "start", "--format", "json"],
    { KEEL_WORKERS_CONCURRENCY: "2", ...env },
  );
  expect(started.code, started.stderr).toBe(0);
  return JSON.parse(started.stdout).pid as number;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** `keel stop`, which must succeed, then the node's process gone */
async function stopNode(home: string, pid: number): Promise<void> {
  const stopped = keelCli(home, ["stop"]);
  expect(stopped.code, stopped.stderr).toBe(0);
  await waitGone(pid);
}

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a frozen node", () => {
  it("read-only commands fall back to the store and say so; changes fail naming keel stop --force", async () => {
    const home = tempHome();
    const pid = startNode(home);
    try {
      process.kill(pid, "SIGSTOP");
      const began = Date.now();
      const health = keelCli(home, ["--api-timeout", "1000", "health", "--format", "json"]);
      expect(Date.now() - began).toBeLessThan(30_000);
      expect(health.code, health.stderr).toBe(2);
      const report = JSON.parse(health.stdout);
      expect(report.status).toBe("unhealthy");
      expect(component(report, "node")).toMatchObject({ status: "unhealthy" });
      expect(component(report, "node")?.reason).toContain(
        `pid ${pid} does not answer its API for 1 s`,
      );
      expect(health.stderr).toMatch(/does not answer its API/);

      const status = keelCli(home, ["--api-timeout", "1000", "status"]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toMatch(new RegExp(`the node \\(pid ${pid}\\) does not answer`));
      expect(status.stdout).toMatch(/node does not answer its API/);

      // the env and config key set the same wait
      const listed = keelCli(home, ["jobs", "list", "--format", "json"], {
        KEEL_CLI_API_TIMEOUT_MS: "1000",
      });
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).runs).toEqual([]);

      const submit = keelCli(home, [
        "--api-timeout",
        "1000",
        "submit",
        "document-analysis",
        "--input",
        '{"name":"a","text":"b"}',
      ]);
      expect(submit.code).toBe(1);
      expect(submit.stderr).toMatch(/\[node_unresponsive\]/);
      expect(submit.stderr).toContain("keel stop --force");
      expect(submit.stderr).toContain(`kill -9 ${pid}`);
    } finally {
      killQuietly(pid, "SIGKILL");
      killQuietly(pid, "SIGCONT");
      await waitGone(pid);
    }
  }, 120_000);
});

describe("the emergency stop in health and status", () => {
  it("degrades an emergency component naming who, when and why; the queue names the stop", async () => {
    const home = tempHome();
    const before = JSON.parse(keelCli(home, ["health", "--format", "json"]).stdout);
    expect(component(before, "emergency")).toMatchObject({ status: "healthy" });
    const pid = startNode(home);
    try {
      const on = keelCli(home, ["emergency", "on", "--reason", "bad deploy INC-7"]);
      expect(on.code, on.stderr).toBe(0);
      // through the API the actor names the token and the OS user: token:admin/cli:<user>
      const actor = `/cli:${userInfo().username}: bad deploy INC-7`;
      const submitted = keelCli(home, [
        "submit",
        "document-analysis",
        "--input",
        '{"name":"a","text":"b"}',
      ]);
      expect(submitted.code, submitted.stderr).toBe(0);

      const health = keelCli(home, ["health", "check", "emergency", "--format", "json"]);
      expect(health.code, health.stdout).toBe(1);
      const emergency = component(JSON.parse(health.stdout), "emergency");
      expect(emergency?.status).toBe("degraded");
      expect(emergency?.reason).toMatch(/emergency stop on: since \d{4}-\d\d-\d\dT/);
      expect(emergency?.reason).toContain("bad deploy INC-7");
      expect(emergency?.reason).toContain(actor);

      const queue = component(
        JSON.parse(keelCli(home, ["health", "check", "queue", "--format", "json"]).stdout),
        "queue",
      );
      expect(queue?.reason).toMatch(/wait because the emergency stop is on .*bad deploy INC-7/);

      const status = keelCli(home, ["status"]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(
        /emergency stop: ON since .* by token:admin\/cli:.*: bad deploy INC-7/,
      );
      const json = JSON.parse(keelCli(home, ["status", "--format", "json"]).stdout);
      expect(json.emergency).toMatchObject({ on: true, reason: "bad deploy INC-7" });

      // off twice: one audit entry, and the second says it changed nothing
      expect(keelCli(home, ["emergency", "off"]).code).toBe(0);
      const again = keelCli(home, ["emergency", "off"]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/already off .*nothing changed/);
      const audit = JSON.parse(keelCli(home, ["audit", "list", "--format", "json"]).stdout);
      expect(
        (audit.entries as { action: string }[])
          .map((e) => e.action)
          .filter((a) => a.startsWith("emergency")),
      ).toEqual(["emergency.off", "emergency.on"]);
      expect(keelCli(home, ["status"]).stdout).toMatch(/emergency stop: off/);
    } finally {
      await stopNode(home, pid);
    }
  }, 90_000);
});

describe("a zero-byte store file", () => {
  it("is refused like a damaged one, with the restore command; only a missing file is new", () => {
    const home = tempHome();
    const db = join(home, "keel.db");
    writeFileSync(db, "");
    for (const args of [["jobs", "list"], ["db", "check"], ["start"], ["status"]]) {
      const result = keelCli(home, args);
      expect(result.code, `${args.join(" ")}: ${result.stdout}`).not.toBe(0);
      expect(result.stderr + result.stdout, args.join(" ")).toMatch(/0 bytes/);
    }
    const jobs = keelCli(home, ["jobs", "list"]);
    expect(jobs.stderr).toMatch(/db restore/);
    // nothing was written: no schema, no new admin token
    expect(statSync(db).size).toBe(0);
    expect(existsSync(join(home, "admin.token"))).toBe(false);

    const health = JSON.parse(keelCli(home, ["health", "--format", "json"]).stdout);
    expect(component(health, "store")?.status).toBe("unhealthy");
    for (const name of ["queue", "breakers", "scheduler"]) {
      expect(component(health, name)?.reason, name).not.toMatch(/no store yet/);
      expect(component(health, name)?.reason, name).toMatch(/cannot read the store/);
    }
  }, 90_000);
});

describe("a stale pidfile", () => {
  it("a zombie or a pid that is not a keel node of this home counts as dead", async () => {
    const home = tempHome();
    // a shell that kills its own child and execs sleep, which never reaps: the child stays a zombie
    const parent = spawn(
      "sh",
      ["-c", "sleep 60 & child=$!; kill -9 $child; echo $child; exec sleep 30"],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      const zombie = await new Promise<number>((resolve) =>
        parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
      );
      for (let i = 0; i < 50; i++) {
        const stat = readFileSync(`/proc/${zombie}/stat`, "utf8");
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const pid of [zombie, parent.pid as number]) {
        writeFileSync(join(home, "keel.pid"), `${pid}\n`);
        const status = JSON.parse(keelCli(home, ["status", "--format", "json"]).stdout);
        expect(status.node, `pid ${pid}`).toMatchObject({ running: false });
      }
      writeFileSync(join(home, "keel.pid"), `${zombie}\n`);
      const pid = startNode(home);
      try {
        const second = keelCli(home, ["start"]);
        expect(second.code).toBe(1);
        expect(second.stderr).toMatch(/already running .*stop it first with `keel stop --home /);
        expect(second.stderr).not.toMatch(/kill \d+/);
      } finally {
        await stopNode(home, pid);
      }
    } finally {
      parent.kill("SIGKILL");
    }
  }, 90_000);
});

describe("messages an operator meets", () => {
  it("cancelling an ended run says it ended, when, and what to do instead", () => {
    const home = tempHome();
    const run = JSON.parse(
      keelCli(home, [
        "submit",
        "document-analysis",
        "--input",
        '{"name":"a","text":"b"}',
        "--at",
        "1h",
        "--format",
        "json",
      ]).stdout,
    );
    expect(keelCli(home, ["jobs", "cancel", run.id, "--reason", "dup"]).code).toBe(0);
    const again = keelCli(home, ["jobs", "cancel", run.id, "--reason", "dup"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `run ${run.id} already ended: cancelled at \\d{4}-\\d\\d-\\d\\dT.*nothing to cancel`,
      ),
    );
    expect(again.stderr).toContain(`keel jobs retry ${run.id} --note`);
    expect(again.stderr).not.toMatch(/cancelled -> cancelled/);
  }, 60_000);

  it("start refuses a missing or broken pipeline module and a source of an unknown pipeline, exit 2", () => {
    const home = tempHome();
    const cases: [string, string, RegExp][] = [
      ["pipelines:\n  - ./nope.mjs\n", "", /pipeline module .*nope\.mjs does not exist/],
      ["pipelines:\n  - ./broken.mjs\n", "export const = ;\n", /broken\.mjs failed to load/],
      [
        "sources:\n  nightly:\n    pipeline: ghost\n    every: 1h\n",
        "",
        /source nightly names pipeline "ghost", which no configured module defines/,
      ],
    ];
    for (const [yaml, broken, message] of cases) {
      writeFileSync(join(home, "keel.yaml"), yaml);
      writeFileSync(join(home, "broken.mjs"), broken);
      for (const args of [["start"], ["start", "--foreground"]]) {
        const started = keelCli(home, ["--config", join(home, "keel.yaml"), ...args]);
        expect(started.code, `${yaml} ${args.join(" ")}: ${started.stderr}`).toBe(2);
        expect(started.stderr).toMatch(message);
        expect(existsSync(join(home, "keel.pid"))).toBe(false);
      }
    }
    writeFileSync(join(home, "keel.yaml"), "pipelines:\n  - ./nope.mjs\n");
    const validate = keelCli(home, ["config", "validate", join(home, "keel.yaml")]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(/pipelines: module .*nope\.mjs does not exist/);
  }, 120_000);

  it("status exits 1 on a corrupt store and says so", () => {
    const home = tempHome();
    writeFileSync(join(home, "keel.db"), Buffer.alloc(8192, 7));
    const status = keelCli(home, ["status"]);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/store_corrupt.*not an SQLite database/);
  }, 60_000);
});

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

describe("runs and nodes as an operator reads them", () => {
  it("jobs show lists the transitions of parallel steps in time order", async () => {
    const home = tempHome();
    const config = writeConfig(home, [join(fixtures, "parallel-pipelines.mjs")]);
    const pid = startNode(home, config);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const run = JSON.parse(
          keelCli(home, [
            "--config",
            config,
            "submit",
            "fanout",
            "--input",
            "{}",
            "--wait",
            "--format",
            "json",
          ]).stdout,
        );
        expect(run.status).toBe("succeeded");
        ids.push(run.id);
      }
      for (const id of ids) {
        const shown = JSON.parse(keelCli(home, ["jobs", "show", id, "--format", "json"]).stdout);
        const times = (shown.transitions as { at: string }[]).map((t) => Date.parse(t.at));
        expect(times, id).toEqual([...times].sort((a, b) => a - b));
        expect(shown.transitions.length).toBeGreaterThan(10);
      }
    } finally {
      await stopNode(home, pid);
    }
  }, 120_000);

  it("submit --wait on a quarantined run prints the reason and the error", async () => {
    const home = tempHome();
    const effects = join(home, "effects.log");
    writeFileSync(`${effects}.broken`, "");
    const config = writeConfig(home, [join(fixtures, "operator-pipelines.mjs")]);
    const env = { KEEL_TEST_EFFECTS: effects };
    const pid = startNode(home, config, env);
    try {
      const quarantined = keelCli(
        home,
        ["--config", config, "submit", "ingest", "--input", '{"text":"a b"}', "--wait"],
        env,
      );
      expect(quarantined.code).toBe(1);
      expect(quarantined.stdout).toMatch(/quarantine\s+permanent:parse_error/);
      expect(quarantined.stderr).toMatch(
        /quarantined \(permanent:parse_error\): parse_error: unexpected token at line 1 \(step parse\)/,
      );
      expect(quarantined.stderr).toMatch(/keel quarantine retry run_\w+ --note/);
    } finally {
      await stopNode(home, pid);
    }
  }, 120_000);

  it("offline nodes last seen over an hour ago are left out of keel status", async () => {
    const home = tempHome();
    const pid = startNode(home);
    await stopNode(home, pid);
    const before = JSON.parse(keelCli(home, ["status", "--format", "json"]).stdout);
    expect(before.nodes).toEqual([expect.objectContaining({ pid, state: "offline" })]);
    const db = new Database(join(home, "keel.db"));
    db.prepare("UPDATE nodes SET heartbeat_at = heartbeat_at - 3700000").run();
    db.close();
    const after = JSON.parse(keelCli(home, ["status", "--format", "json"]).stdout);
    expect(after.nodes).toEqual([]);
  }, 60_000);

  it("a store restored into a new home says its admin token stays valid, and rotates it on request", async () => {
    const old = tempHome();
    const pid = startNode(old);
    const oldToken = readFileSync(join(old, "admin.token"), "utf8").trim();
    await stopNode(old, pid);
    const backup = join(old, "moved.db");
    expect(keelCli(old, ["db", "backup", "--to", backup]).code).toBe(0);

    const home = tempHome();
    const restored = keelCli(home, ["db", "restore", backup, "--yes"]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/keeps its API tokens .*admin token [0-9a-f]{12}/);
    expect(restored.stderr).toContain("--rotate-admin-token");

    const rotated = keelCli(home, [
      "db",
      "restore",
      backup,
      "--yes",
      "--rotate-admin-token",
      "--format",
      "json",
    ]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const tokens = JSON.parse(rotated.stdout).tokens;
    expect(tokens.revoked).toHaveLength(1);
    expect(tokens.rotated_to).toMatch(/^[0-9a-f]{12}$/);
    const node = startNode(home);
    try {
      const refused = keelCli(home, ["--token", oldToken, "jobs", "list"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/unauthorized/);
      expect(keelCli(home, ["jobs", "list"]).code).toBe(0);
    } finally {
      await stopNode(home, node);
    }
  }, 120_000);
});
