// `keel nodes` and `keel nodes token` in a subprocess, on the store itself (no node answers): join
// tokens shown once and revocable, a node registered by a run node listed, drained, undrained, and
// forgotten only once offline, each audited.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { keel } from "../../src/index.js";
import { keelCli } from "./keel-cli.js";

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

describe("keel nodes", () => {
  it("creates, lists and revokes join tokens; drains, undrains and forgets a node", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-nodes-"));
    homes.push(home);
    const created = keelCli(home, [
      "nodes",
      "token",
      "create",
      "--name",
      "gpu-a",
      "--capabilities",
      "gpu",
      "--format",
      "json",
    ]);
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout) as {
      id: string;
      token: string;
      capabilities: string[];
    };
    expect(token.token).toMatch(/^keel_join_[0-9a-f]{12}_/);
    expect(token.capabilities).toEqual(["gpu"]);
    const listed = JSON.parse(keelCli(home, ["nodes", "token", "list", "--format", "json"]).stdout);
    expect(JSON.stringify(listed)).not.toContain(token.token);
    expect(keelCli(home, ["nodes", "token", "revoke", token.id]).code).toBe(0);
    expect(keelCli(home, ["nodes", "token", "create", "--name", "bad name"]).code).not.toBe(0);

    // a node that ran here and stopped: offline
    const k = await keel({ home, nodeId: "n-1" }).start();
    const live = JSON.parse(keelCli(home, ["nodes", "list", "--format", "json"]).stdout);
    expect(live.nodes.map((n: { id: string; status: string }) => [n.id, n.status])).toEqual([
      ["n-1", "online"],
    ]);
    const refused = keelCli(home, ["nodes", "forget", "n-1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/node_online/);
    const drained = JSON.parse(
      keelCli(home, ["nodes", "drain", "n-1", "--timeout", "30s", "--format", "json"]).stdout,
    );
    expect(drained).toMatchObject({ id: "n-1", status: "draining" });
    expect(keelCli(home, ["nodes", "undrain", "n-1"]).code).toBe(0);
    await k.stop();
    const forgot = keelCli(home, ["nodes", "forget", "n-1", "--format", "json"]);
    expect(forgot.code).toBe(0);
    expect(JSON.parse(forgot.stdout)).toMatchObject({ id: "n-1", runs_released: 0 });
    expect(keelCli(home, ["nodes", "show", "n-1"]).code).toBe(1);
    const audit = JSON.parse(keelCli(home, ["audit", "list", "--format", "json"]).stdout) as {
      entries: { action: string }[];
    };
    expect(audit.entries.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        "join_token.create",
        "join_token.revoke",
        "node.drain",
        "node.undrain",
        "node.forget",
      ]),
    );
  }, 60_000);
});
