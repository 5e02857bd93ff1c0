import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keelCli, keelJson as json } from "./keel-cli.js";

/**
 * `keel tokens ...` as an operator runs it: on the store when no node runs, through a background
 * node's API (with its roles) when one does; and which of the two a command went through.
 */

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), "keel-cli-tokens-"));
}

function startNode(home: string): void {
  const started = keelCli(home, ["start", "--format", "json"]);
  expect(started.code, started.stderr).toBe(0);
  expect(JSON.parse(started.stdout).api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
}

const tokenText = /^keel_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;

describe("keel tokens", () => {
  it("creates each role, lists and revokes on the store when no node runs", () => {
    const home = tempHome();
    const created = ["viewer", "operator", "admin"].map((role) =>
      json(home, ["tokens", "create", "--role", role, "--name", `${role}-1`]),
    );
    for (const [i, role] of ["viewer", "operator", "admin"].entries()) {
      expect(created[i]).toMatchObject({ name: `${role}-1`, role, revoked: false });
      expect(created[i].token).toMatch(tokenText);
      expect(tokenText.exec(created[i].token)![1]).toBe(created[i].id);
      expect(created[i].created_by).toMatch(/^cli:/);
    }
    const table = keelCli(home, ["tokens", "create", "--role", "viewer", "--name", "grafana"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^token +keel_[0-9a-f]{12}_/m);
    expect(table.stdout).toMatch(/shown only once/);

    const listed = json(home, ["tokens", "list"]);
    expect(listed.tokens.map((t: { name: string }) => t.name)).toEqual([
      "viewer-1",
      "operator-1",
      "admin-1",
      "grafana",
    ]);
    for (const t of listed.tokens) expect(t).not.toHaveProperty("token");

    const revoked = json(home, ["tokens", "revoke", created[0].id, "--reason", "left the team"]);
    expect(revoked).toMatchObject({ id: created[0].id, revoked: true });
    expect(revoked.revoked_by).toMatch(/^cli:/);
    expect(keelCli(home, ["tokens", "list"]).stdout).toMatch(/viewer-1 +viewer +revoked/);
    const audit = json(home, ["audit", "list"]);
    expect(audit.entries[0]).toMatchObject({
      action: "token.revoke",
      target: created[0].id,
      reason: "left the team",
    });
    expect(
      audit.entries.filter((e: { action: string }) => e.action === "token.create"),
    ).toHaveLength(4);

    const cases: [string[], number, RegExp][] = [
      [
        ["tokens", "create", "--role", "root", "--name", "x"],
        2,
        /Allowed choices are viewer, operator, admin/,
      ],
      [["tokens", "create", "--role", "viewer"], 2, /required option '--name <name>'/],
      [["tokens", "create", "--role", "viewer", "--name", "no spaces"], 2, /invalid_input.*name/],
      [["tokens", "revoke", "zz"], 2, /invalid_input.*a token id: 12 hex digits/],
      [["tokens", "revoke", "000000000000"], 1, /not_found/],
    ];
    for (const [args, code, message] of cases) {
      const result = keelCli(home, args);
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toMatch(message);
    }
  }, 90_000);

  it("enforces roles through a running node's API; a revoked token is refused", () => {
    const home = tempHome();
    // made on the store before the node starts: the node's API knows it at once
    const viewer = json(home, ["tokens", "create", "--role", "viewer", "--name", "grafana"]);
    startNode(home);
    try {
      const operator = json(home, ["tokens", "create", "--role", "operator", "--name", "ci"]);
      expect(operator.created_by).toMatch(/^token:admin\/cli:/);
      const later = json(home, ["submit", "document-analysis", "--input", "{}", "--at", "1h"]);

      // a viewer reads, and is refused any change: nothing changes
      const asViewer = ["--token", viewer.token];
      expect(
        json(home, [...asViewer, "jobs", "list"]).runs.map((r: { id: string }) => r.id),
      ).toEqual([later.id]);
      const cancel = keelCli(home, [...asViewer, "jobs", "cancel", later.id, "--reason", "x"]);
      expect(cancel.code).toBe(1);
      expect(cancel.stderr).toMatch(
        /forbidden.*token "grafana" has role viewer; this needs operator/,
      );
      const tokens = keelCli(home, ["tokens", "list"], { KEEL_TOKEN: viewer.token });
      expect(tokens.code).toBe(1);
      expect(tokens.stderr).toMatch(/forbidden.*this needs admin/);
      expect(json(home, ["jobs", "show", later.id]).status).toBe("pending");

      // an operator changes runs, audited under its name on behalf of this machine's user
      const cancelled = json(home, ["jobs", "cancel", later.id, "--reason", "duplicate"], {
        KEEL_TOKEN: operator.token,
      });
      expect(cancelled.status).toBe("cancelled");
      const audit = json(home, ["audit", "list", "--action", "run.cancel"]);
      expect(audit.entries[0].actor).toMatch(/^token:ci\/cli:/);

      // revoked: refused from the next request on
      json(home, ["tokens", "revoke", viewer.id]);
      const refused = keelCli(home, [...asViewer, "jobs", "list"]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/unauthorized.*unknown, revoked or malformed/);
      const bogus = keelCli(home, ["--token", "keel_nope", "status"]);
      expect(bogus.code).toBe(1);
      expect(bogus.stderr).toMatch(/unauthorized/);
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }
  }, 90_000);

  it("goes through the node's API when one runs, else through the store", () => {
    const home = tempHome();
    const actorOf = (action: string): string =>
      json(home, ["audit", "list", "--action", action, "--limit", "1"]).entries[0].actor;

    json(home, ["emergency", "on", "--reason", "drill"]);
    expect(actorOf("emergency.on")).toMatch(/^cli:[^/]+$/);
    expect(json(home, ["status"]).workers).toBeNull();

    startNode(home);
    try {
      json(home, ["emergency", "off", "--reason", "drill over"]);
      expect(actorOf("emergency.off")).toMatch(/^token:admin\/cli:/);
      const status = json(home, ["status"]);
      expect(status.workers).toMatchObject({ busy: 0, pid: status.node.pid });
      expect(status.workers.idle).toBe(status.workers.limit);
    } finally {
      expect(keelCli(home, ["stop"]).code).toBe(0);
    }

    json(home, ["emergency", "on", "--reason", "second drill"]);
    expect(actorOf("emergency.on")).toMatch(/^cli:[^/]+$/);
  }, 60_000);
});
