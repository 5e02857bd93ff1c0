import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startRatesStub, type RatesStub } from "../../examples/etl/rates-stub.js";
import { startNode, useNodes } from "./node-process.js";
import { keelJson } from "./keel-cli.js";

/**
 * examples/etl as its README runs it: `keel start` on its keel.yaml loads the TypeScript pipeline,
 * the cron source sweeps the inbox, `rates` is retried past a flaky HTTP stub, and the rows land
 * in the SQLite warehouse. Needs `npm run build` (the example imports "keel", that is dist/).
 */
const example = fileURLToPath(new URL("../../examples/etl/", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split(".")[0]);
const Database = require(
  major >= 22 ? "better-sqlite3" : "better-sqlite3-v12",
) as typeof BetterSqlite3;
const nodes = useNodes();
let stub: RatesStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe("examples/etl", () => {
  it("type-checks under its own strict tsconfig", () => {
    const tsc = spawnSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", example],
      { encoding: "utf8" },
    );
    expect(tsc.stdout).toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);

  it("loads the inbox into the warehouse through a flaky rates service", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-etl-"));
    const inbox = join(home, "inbox");
    mkdirSync(inbox);
    cpSync(join(example, "sample"), inbox, { recursive: true });
    const warehouse = join(home, "warehouse.db");
    // every 2nd request fails: the first attempt of `rates` gets a 503 and is retried
    stub = await startRatesStub({ failEvery: 2 });
    const env = {
      ETL_INBOX: inbox,
      ETL_WAREHOUSE: warehouse,
      ETL_RATES_URL: stub.url,
      KEEL_SERVER_PORT: "0",
      NODE_OPTIONS: "",
    };
    const node = startNode(home, join(example, "keel.yaml"), env);
    nodes.push(node);
    await node.ready;
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(inbox, "done", "orders-south.csv")) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const db = new Database(warehouse, { readonly: true });
    const rows = db
      .prepare("SELECT file, line, customer, amount_eur FROM orders ORDER BY customer")
      .all();
    db.close();
    expect(rows).toEqual([
      { file: "orders-north.csv", line: 2, customer: "ada", amount_eur: 120.5 },
      { file: "orders-south.csv", line: 2, customer: "barbara", amount_eur: 46.8 },
      { file: "orders-south.csv", line: 3, customer: "edsger", amount_eur: 14.03 },
      { file: "orders-north.csv", line: 3, customer: "grace", amount_eur: 91.99 },
    ]);
    expect(readdirSync(inbox).filter((f) => f.endsWith(".csv"))).toEqual([]);
    const runs = keelJson(
      home,
      [
        "--config",
        join(example, "keel.yaml"),
        "jobs",
        "list",
        "--pipeline",
        "etl",
        "--status",
        "succeeded",
      ],
      env,
    );
    const loadedRun = runs.runs.find(
      (r: { output: { load?: { loaded: number } } }) => (r.output.load?.loaded ?? 0) > 0,
    );
    expect(loadedRun.output.load).toEqual({
      loaded: 4,
      rejected: 1,
      files: ["orders-north.csv", "orders-south.csv"],
    });
    // the first call got a 503 and was retried: one failed attempt of `rates` on the run
    expect(loadedRun.step_attempts.rates).toBeGreaterThanOrEqual(1);
    expect(stub?.requests()).toBeGreaterThanOrEqual(2);
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  }, 120_000);
});
