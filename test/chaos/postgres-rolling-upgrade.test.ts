import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { keelCli, joinToken } from "../integration/keel-cli.js";
import { writeConfig } from "../integration/node-process.js";
import { dropSchema, freshSchema, onSchema, useTestPostgres } from "../store/postgres-server.js";

/**
 * A rolling upgrade on one PostgreSQL schema: a "newer" keel (this build, copied, with one more
 * migration in its folder) migrates the schema while a node of this build keeps running beside it,
 * and both process work. Once the newer keel adds a breaking migration, this build refuses to start.
 */
const server = useTestPostgres();
const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/paced-pipelines.mjs", import.meta.url));
const RUNS = 24;

/** this build copied beside the worktree's node_modules, with extra migrations added to it */
function newerKeel(): {
  bin: string;
  addMigration(name: string, sql: string): void;
  remove(): void;
} {
  const dir = mkdtempSync(join(root, ".upgrade-"));
  cpSync(join(root, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(root, "dist"), join(dir, "dist"), { recursive: true });
  const migrations = join(dir, "dist", "src", "store", "postgres", "migrations");
  return {
    bin: join(dir, "bin", "keel.js"),
    // the next number after this build's own, whatever it is by then
    addMigration: (name, sql) => {
      const next = readdirSync(migrations).filter((f) => f.endsWith(".sql")).length + 1;
      writeFileSync(join(migrations, `${String(next).padStart(3, "0")}_${name}.sql`), sql);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function run(bin: string, home: string, args: string[], env: Record<string, string>) {
  return keelCli(home, args, env, bin);
}

function home(effects: string): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-upgrade-"));
  writeConfig(dir, [fixture], "workers:\n  concurrency: 2\n");
  writeFileSync(effects, "", { flag: "a" });
  return dir;
}

describe("postgres: a rolling upgrade", () => {
  it("an older node keeps running beside a newer one after a non-breaking migration; a breaking one stops it", async () => {
    const schema = freshSchema("keel_upgrade");
    const effects = join(mkdtempSync(join(tmpdir(), "keel-upgrade-fx-")), "effects.log");
    const store = { KEEL_STORE: `${server().url}?schema=${schema}`, KEEL_TEST_EFFECTS: effects };
    const newer = newerKeel();
    const oldHome = home(effects);
    const newHome = home(effects);
    let env: Record<string, string> = store;
    try {
      expect(keelCli(oldHome, ["db", "check"], env).code).not.toBe(0); // nothing there yet
      // the token makes the schema at this build's version; the newer keel brings one more
      env = { ...store, KEEL_JOIN_TOKEN: joinToken(oldHome, store) };
      newer.addMigration(
        "upgrade_probe",
        "-- keel: non-breaking\nCREATE TABLE upgrade_probe (id integer PRIMARY KEY);\n",
      );
      const startedNew = run(newer.bin, newHome, ["start"], env);
      expect(startedNew.code, startedNew.stderr).toBe(0);
      const startedOld = keelCli(oldHome, ["start"], env);
      expect(startedOld.code, startedOld.stderr).toBe(0);
      const check = JSON.parse(keelCli(oldHome, ["db", "check", "--format", "json"], env).stdout);
      expect(check.schema_version).toBeGreaterThan(check.known_version);
      for (let i = 0; i < RUNS; i++)
        expect(keelCli(oldHome, ["submit", "paced", "--input", `{"n":${i}}`], env).code).toBe(0);
      const deadline = Date.now() + 120_000;
      let done = 0;
      while (done < RUNS && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        done = await onSchema(server().url, schema, async (c) =>
          Number(
            (await c.query("SELECT count(*) AS n FROM runs WHERE status = 'succeeded'")).rows[0].n,
          ),
        );
      }
      expect(done).toBe(RUNS);
      // both nodes wrote checkpoints: the older one kept working on the newer schema
      const writers = await onSchema(
        server().url,
        schema,
        async (c) => (await c.query("SELECT DISTINCT node_id FROM step_results")).rows.length,
      );
      expect(writers).toBe(2);
      expect(keelCli(oldHome, ["stop"], env).code).toBe(0);
      expect(run(newer.bin, newHome, ["stop"], env).code).toBe(0);

      // a breaking migration the older build does not know: it refuses to start, saying why
      newer.addMigration(
        "upgrade_break",
        "-- keel: breaking\nCREATE TABLE upgrade_break (id integer PRIMARY KEY);\n",
      );
      expect(run(newer.bin, newHome, ["start"], env).code).toBe(0);
      expect(run(newer.bin, newHome, ["stop"], env).code).toBe(0);
      const refused = keelCli(oldHome, ["start"], env);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/keel failed to start/);
      expect(readFileSync(join(oldHome, "logs", "keel.log"), "utf8")).toMatch(/store_too_new/);
    } finally {
      keelCli(oldHome, ["stop"], env);
      run(newer.bin, newHome, ["stop"], env);
      newer.remove();
    }
    await dropSchema(server().url, schema);
  }, 300_000);
});
