import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countingServer, type CountingServer } from "./counting-server.js";
import { keelCli, keelJson as json } from "./keel-cli.js";
import { writeConfig } from "./node-process.js";

/**
 * `keel shadow` against a node started with `keel start`: a new version of a pipeline, written to
 * a file as a deploy would, compared with the primary's runs by the node's shadow worker. The
 * primary run's rows are read straight from the store file before and after, and the side effects
 * the new version attempts are looked for where they would have landed.
 */
const repo = fileURLToPath(new URL("../../", import.meta.url));
const dist = pathToFileURL(join(repo, "dist/src/index.js")).href;
// the driver the store loads on this Node (as test/integration/example-etl.test.ts does)
const Database = createRequire(import.meta.url)(
  Number(process.versions.node.split(".")[0]) >= 22 ? "better-sqlite3" : "better-sqlite3-v12",
) as typeof BetterSqlite3;

/** the pipeline "invoice" with `tax` and `total` bodies as given; `price` is the same everywhere */
function invoice(tax: string, total = "({ total: input.price.amount + input.tax.tax })"): string {
  return `import { pipeline, step } from "${dist}";
export const invoice = pipeline("invoice", [
  step("price", (ctx, input) => ({ amount: input.amount, pricedAt: ctx.now() })),
  step("tax", { after: ["price"] }, async (ctx, input) => ${tax}),
  step("total", { after: ["price", "tax"] }, async (ctx, input) => ${total}),
]);
`;
}

type Report = {
  shadow: { id: string; version: string; state: string };
  runs: { compared: number; same: number; mismatch: number; queued: number; failed: number };
  mismatch_rate: number;
  classes: Record<string, { runs: number; rate: number }>;
  steps: {
    step: string;
    compared: number;
    same: number;
    mismatch: number;
    classes: Record<string, { runs: number }>;
    samples: { run: string; class: string; fields: string[] }[];
  }[];
};

let home: string;
let server: CountingServer;

/** the report exits 1 while a compared run mismatched: its JSON is read either way */
function report(): Report {
  const result = keelCli(home, ["shadow", "report", "invoice", "--format", "json"]);
  expect([0, 1], result.stderr).toContain(result.code);
  return JSON.parse(result.stdout).reports[0] as Report;
}

async function reportOnce(done: (r: Report) => boolean): Promise<Report> {
  let r = report();
  for (const deadline = Date.now() + 45_000; !done(r) && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    r = report();
  }
  return r;
}

const step = (r: Report, name: string) => r.steps.find((s) => s.step === name);

/** the primary run as the store keeps it: its row, steps (checkpoints) and transitions */
function storedRun(runId: string): string {
  const db = new Database(join(home, "keel.db"), { readonly: true, fileMustExist: true });
  try {
    return JSON.stringify([
      db.prepare("SELECT * FROM runs WHERE id = ?").all(runId),
      db.prepare("SELECT * FROM step_results WHERE run_id = ? ORDER BY step").all(runId),
      db.prepare("SELECT * FROM transitions WHERE run_id = ? ORDER BY id").all(runId),
    ]);
  } finally {
    db.close();
  }
}

function submit(amount: number): { id: string; status: string } {
  return json(home, ["submit", "invoice", "--input", JSON.stringify({ amount }), "--wait"]);
}

function startShadow(file: string, sample = "100%"): ReturnType<typeof keelCli> {
  return keelCli(home, ["shadow", "start", "invoice", "--version", file, "--sample", sample]);
}

describe("keel shadow", () => {
  beforeAll(async () => {
    server = await countingServer("ok");
    home = mkdtempSync(join(tmpdir(), "keel-cli-shadow-"));
    writeFileSync(join(home, "v1.mjs"), invoice("({ tax: input.price.amount * 0.2 })"));
    writeConfig(home, [join(home, "v1.mjs")], "server:\n  port: 0\n");
    const started = keelCli(home, ["start", "--format", "json"]);
    expect(started.code, started.stderr).toBe(0);
  });

  afterAll(() => {
    keelCli(home, ["shadow", "stop", "invoice"]);
    keelCli(home, ["stop"]);
    server?.child.kill();
    rmSync(home, { recursive: true, force: true });
  });

  it("refuses a bad module, one without the pipeline, and steps that cannot be compared", () => {
    const missing = startShadow("./nope.mjs");
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--version \.\/nope\.mjs: no module at .*nope\.mjs/);
    writeFileSync(join(home, "broken.mjs"), "export const x = ;");
    expect(startShadow("./broken.mjs").stderr).toMatch(/cannot be used as a shadow of "invoice"/);
    writeFileSync(join(home, "other.mjs"), `export const nothing = 1;`);
    expect(startShadow("./other.mjs").stderr).toMatch(/exports no pipeline "invoice"/);
    writeFileSync(
      join(home, "renamed.mjs"),
      invoice("({ tax: 1 })").replace('step("total"', 'step("sum"'),
    );
    expect(startShadow("./renamed.mjs").stderr).toMatch(
      /steps the primary does not have: sum; primary steps it does not have: total/,
    );
    const bare = keelCli(home, ["shadow", "start", "invoice"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/needs --version <module>/);
    expect(json(home, ["shadow", "list"]).shadows).toEqual([]);
    // alone, --version is still keel's own
    const version = keelCli(home, ["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("reports the step a new tax rate changes, with its field path; the others are the same", async () => {
    writeFileSync(join(home, "v2-tax.mjs"), invoice("({ tax: input.price.amount * 0.25 })"));
    const started = startShadow("./v2-tax.mjs");
    expect(started.code, started.stderr).toBe(0);
    expect(
      keelCli(home, ["shadow", "start", "invoice", "--version", "./v2-tax.mjs"]).stderr,
    ).toMatch(/already has an active shadow/);
    const run = submit(10);
    expect(run.status).toBe("succeeded");
    const before = storedRun(run.id);

    const r = await reportOnce((x) => x.runs.compared >= 1);
    expect(r.runs).toMatchObject({ compared: 1, same: 0, mismatch: 1 });
    expect(r.classes).toEqual({ SEED_MISMATCH: { runs: 1, rate: 1 } });
    expect(step(r, "tax")).toMatchObject({
      mismatch: 1,
      classes: { SEED_MISMATCH: { runs: 1 } },
      samples: [{ run: run.id, class: "SEED_MISMATCH", fields: ["$.tax"] }],
    });
    expect(step(r, "price")).toMatchObject({ compared: 1, same: 1, mismatch: 0 });
    expect(step(r, "total")).toMatchObject({ compared: 1, same: 1, mismatch: 0 });
    // the primary run reads byte for byte as it did before the shadow compared it
    expect(storedRun(run.id)).toBe(before);
    const table = keelCli(home, ["shadow", "report", "invoice"]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/tax +1 +0 +1 +SEED_MISMATCH 1 \(100%\)/);
    expect(json(home, ["audit", "list"]).entries[0]).toMatchObject({
      action: "shadow.start",
      target: "invoice",
    });
    expect(keelCli(home, ["shadow", "stop", "invoice"]).code).toBe(0);
  }, 90_000);

  it("names unseeded randomness in the new version", async () => {
    writeFileSync(
      join(home, "v2-random.mjs"),
      invoice("({ tax: input.price.amount * 0.2, ticket: Math.random() })"),
    );
    expect(startShadow("./v2-random.mjs").code).toBe(0);
    submit(20);
    const r = await reportOnce((x) => x.runs.compared >= 1);
    expect(step(r, "tax")?.classes).toEqual({ UNSEEDED_RNG: { runs: 1, rate: 1 } });
    expect(step(r, "tax")?.samples[0]?.fields).toContain("$.ticket");
    keelCli(home, ["shadow", "stop", "invoice"]);
  }, 90_000);

  it("refuses the new version's unrecorded fetch, file write and POST: none happens", async () => {
    const marker = join(home, "written-by-shadow.txt");
    writeFileSync(
      join(home, "v2-effects.mjs"),
      invoice(
        `{ await ctx.fetch("${server.base}/rates"); return { tax: 2 }; }`,
        `{ (await import("node:fs")).writeFileSync(${JSON.stringify(marker)}, "x");
           await fetch("${server.base}/orders", { method: "POST", body: "{}" });
           return { total: 12 }; }`,
      ),
    );
    expect(startShadow("./v2-effects.mjs").code).toBe(0);
    const run = submit(10);
    const before = storedRun(run.id);
    const r = await reportOnce((x) => x.runs.compared >= 1);
    expect(step(r, "tax")?.classes).toEqual({ EXTERNAL_CALL: { runs: 1, rate: 1 } });
    expect(step(r, "total")?.classes).toEqual({ EXTERNAL_CALL: { runs: 1, rate: 1 } });
    expect(await server.hits()).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(storedRun(run.id)).toBe(before);
    keelCli(home, ["shadow", "stop", "invoice"]);
  }, 90_000);

  it("samples nothing at 0%, and a stopped shadow compares nothing more", async () => {
    writeFileSync(join(home, "v2-same.mjs"), invoice("({ tax: input.price.amount * 0.2 })"));
    expect(startShadow("./v2-same.mjs", "0%").code).toBe(0);
    submit(1);
    submit(2);
    // the worker scans each second, two seconds behind: long enough to have seen both runs
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(report().runs).toMatchObject({ compared: 0, queued: 0 });
    expect(keelCli(home, ["shadow", "stop", "invoice"]).code).toBe(0);

    expect(startShadow("./v2-same.mjs", "100%").code).toBe(0);
    submit(3);
    const r = await reportOnce((x) => x.runs.compared >= 1);
    expect(r.runs).toMatchObject({ compared: 1, same: 1, mismatch: 0 });
    expect(keelCli(home, ["shadow", "report", "invoice"]).code).toBe(0);
    const stopped = json(home, ["shadow", "stop", "invoice"]);
    expect(stopped.state).toBe("stopped");
    submit(4);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(report().runs).toMatchObject({ compared: 1, queued: 0 });
    const list = json(home, ["shadow", "list"]).shadows;
    expect(list.every((s: { state: string }) => s.state === "stopped")).toBe(true);
  }, 90_000);
});
