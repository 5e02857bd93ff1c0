import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dropSchema, freshSchema, onSchema, useTestPostgres } from "../store/postgres-server.js";
import { keelCli, joinToken } from "./keel-cli.js";

/** keel on PostgreSQL as a user runs it: KEEL_STORE names the server, the CLI does the rest. */
const server = useTestPostgres();

const doc = JSON.stringify({ name: "pg", text: "# Plan\nThe council shall fund the pump." });

describe("keel on a PostgreSQL store", () => {
  it("a started node runs a submitted run to success, and jobs list shows it", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pg-cli-"));
    const schema = freshSchema("keel_cli");
    const store = { KEEL_STORE: `${server().url}?schema=${schema}` };
    const env = { ...store, KEEL_JOIN_TOKEN: joinToken(home, store) };
    const started = keelCli(home, ["start", "--format", "json"], env);
    expect(started.code, started.stderr).toBe(0);
    try {
      const submitted = keelCli(
        home,
        ["submit", "document-analysis", "--input", doc, "--wait", "--format", "json"],
        env,
      );
      expect(submitted.code, submitted.stderr).toBe(0);
      const run = JSON.parse(submitted.stdout);
      expect(run).toMatchObject({ pipeline: "document-analysis", status: "succeeded" });
      const listed = keelCli(home, ["jobs", "list", "--format", "json"], env);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).runs.map((r: { id: string }) => r.id)).toEqual([run.id]);
    } finally {
      expect(keelCli(home, ["stop"], env).code).toBe(0);
    }
    // with no node running, the CLI reads the store itself; --store names it as KEEL_STORE does
    const direct = keelCli(home, [
      "jobs",
      "list",
      "--status",
      "succeeded",
      "--store",
      env.KEEL_STORE,
      "--format",
      "json",
    ]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout).runs).toHaveLength(1);
    await dropSchema(server().url, schema);
  }, 180_000);

  it("a server out of reach is named, with what to check", () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pg-cli-"));
    const result = keelCli(home, ["jobs", "list"], {
      KEEL_STORE: "postgres://keel:secret@127.0.0.1:1/keel",
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /PostgreSQL at postgres:\/\/keel:\*\*\*@127\.0\.0\.1:1\/keel is unreachable/,
    );
    expect(result.stderr).not.toContain("secret");
  });

  it("store.url in keel.yaml names the store, and a URL of another kind is refused by key", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pg-cli-"));
    const schema = freshSchema("keel_yaml");
    writeFileSync(join(home, "keel.yaml"), `store:\n  url: ${server().url}?schema=${schema}\n`);
    const submitted = keelCli(home, [
      "submit",
      "document-analysis",
      "--input",
      doc,
      "--format",
      "json",
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = JSON.parse(submitted.stdout).id as string;
    const rows = await onSchema(server().url, schema, async (c) =>
      (await c.query("SELECT id FROM runs")).rows.map((r: { id: string }) => r.id),
    );
    expect(rows).toEqual([id]);
    expect(existsSync(join(home, "keel.db"))).toBe(false);
    await dropSchema(server().url, schema);

    writeFileSync(join(home, "keel.yaml"), "store:\n  url: mysql://db/keel\n");
    const refused = keelCli(home, ["jobs", "list"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /keel\.yaml:2: store\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it("status and health read the PostgreSQL store without a node, and name it without its password", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-pg-cli-"));
    const schema = freshSchema("keel_status");
    const url = new URL(server().url);
    url.password = "hunter2";
    url.searchParams.set("schema", schema);
    // trust auth: the password is never asked for, so it may stand in the URL here
    const env = { KEEL_STORE: url.toString() };
    const submitted = keelCli(home, ["submit", "document-analysis", "--input", doc], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const status = keelCli(home, ["status", "--verbose", "--format", "json"], env);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.runs).toMatchObject({ pending: 1 });
    expect(report.store.file).toContain(`schema=${schema}`);
    expect(status.stdout).not.toContain("hunter2");
    const health = keelCli(
      home,
      ["health", "check", "store", "--verbose", "--format", "json"],
      env,
    );
    expect(health.stdout).not.toContain("hunter2");
    expect(JSON.parse(health.stdout).components[0]).toMatchObject({
      component: "store",
      status: "healthy",
    });
    await dropSchema(server().url, schema);
  });
});
