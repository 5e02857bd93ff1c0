import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

// deploy/systemd/keel.service verified by systemd itself where systemd-analyze exists (its
// directives parsed otherwise), and deploy/logrotate/keel run by the real logrotate against a
// file a process keeps appending to, as the unit's stderr does.

const root = fileURLToPath(new URL("../../", import.meta.url));
const unit = readFileSync(join(root, "deploy/systemd/keel.service"), "utf8");
const rotation = readFileSync(join(root, "deploy/logrotate/keel"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "keel-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;

function directives(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) found.set(m[1]!, [...(found.get(m[1]!) ?? []), m[2]!]);
  }
  return found;
}

describe("deploy/systemd/keel.service", () => {
  it("runs keel start in the foreground, hardened, with its home writable", () => {
    const d = directives(unit);
    expect(d.get("ExecStart")).toEqual(["/usr/local/bin/keel start --foreground"]);
    expect(d.get("Environment")).toContain("KEEL_HOME=/var/lib/keel");
    expect(d.get("User")).toEqual(["keel"]);
    for (const [key, value] of [
      ["NoNewPrivileges", "yes"],
      ["ProtectSystem", "strict"],
      ["ProtectHome", "yes"],
      ["PrivateTmp", "yes"],
      ["PrivateDevices", "yes"],
      ["RestrictSUIDSGID", "yes"],
      ["CapabilityBoundingSet", ""],
      ["KillMode", "mixed"],
    ])
      expect(d.get(key!), key).toEqual([value]);
    expect(d.get("ReadWritePaths")?.[0]?.split(" ")).toContain("/var/lib/keel");
    expect(d.get("StandardError")).toEqual(["append:/var/log/keel/keel.log"]);
  });

  it.runIf(has("systemd-analyze"))("passes systemd-analyze verify", () => {
    // the same unit with ExecStart on this checkout's keel, which verify needs to exist
    const file = join(dir, "keel.service");
    writeFileSync(
      file,
      unit.replace(
        "ExecStart=/usr/local/bin/keel",
        `ExecStart=${process.execPath} ${join(root, "bin/keel.js")}`,
      ),
    );
    const result = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
    // an unknown or misspelt directive is only a warning: any complaint about the file fails
    const complaints = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((l) => l.includes("keel.service"));
    expect(complaints).toEqual([]);
    expect(result.status).toBe(0);
  });
});

describe("deploy/logrotate/keel", () => {
  it.runIf(has("logrotate"))(
    "rotates a log a process keeps appending to: no hole of NULs, the lines in order",
    async () => {
      const log = join(dir, "keel.log");
      const me = userInfo().username;
      const config = join(dir, "logrotate.conf");
      writeFileSync(
        config,
        rotation.replace("/var/log/keel/keel.log", log).replace("su keel keel", `su ${me} ${me}`),
      );
      // a writer holding the file open in append mode, as systemd's append: does
      const writer = spawn(
        "sh",
        [
          "-c",
          `exec 2>>"${log}"; i=0; while :; do i=$((i+1)); echo "line $i" >&2; sleep 0.01; done`,
        ],
        { stdio: "ignore" },
      );
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        execFileSync("logrotate", ["-f", "-s", join(dir, "state"), config]);
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        writer.kill("SIGKILL");
      }
      const rotated = readdirSync(dir).filter((f) => f.startsWith("keel.log-"));
      expect(rotated).toHaveLength(1);
      const before = readFileSync(join(dir, rotated[0]!), "utf8");
      const after = readFileSync(log, "utf8");
      // no hole of NULs where the writer's offset ran past the truncation
      expect(after).not.toContain("\0");
      const numbers = (text: string) =>
        text
          .split("\n")
          .filter(Boolean)
          .map((l) => Number(/^line (\d+)$/.exec(l)![1]));
      const old = numbers(before);
      const fresh = numbers(after);
      expect(old[0]).toBe(1);
      expect(fresh.length).toBeGreaterThan(0);
      // copytruncate may lose the lines written between its copy and its truncate, never more
      expect(fresh[0]! - old.at(-1)!).toBeLessThanOrEqual(3);
      expect(fresh[0]! - old.at(-1)!).toBeGreaterThanOrEqual(1);
    },
  );
});
