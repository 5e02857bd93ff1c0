import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/store/sqlite/driver.js";
import { apiHarness, snapshot, type ApiHarness } from "./helpers.js";

/**
 * The API's input limits: times and durations out of range, nesting deeper than the limit, and
 * list pages that stay small whatever the runs hold. Each refusal is a 400 naming the limit and
 * changes nothing.
 */
let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h.close();
});

const request = (method: "GET" | "POST", url: string, payload?: unknown) =>
  h.api.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${h.tokens.admin}` },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

function deep(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe("times and durations out of range", () => {
  it("a far-future at is a 400 naming the range, and no run is stored", async () => {
    const before = await snapshot(h.keel);
    for (const at of ["999999999d", "36501d", "+275760-09-13T00:00:00.000Z", "0000-01-01"]) {
      const res = await request("POST", "/v1/runs", { pipeline: "echo", input: {}, at });
      expect(res.statusCode, `${at}: ${res.body}`).toBe(400);
      expect(res.json().error.message).toMatch(/36500d|1970|9999/);
    }
    expect(await snapshot(h.keel)).toEqual(before);
    expect((await request("GET", "/v1/runs")).statusCode).toBe(200);
  });

  it("a huge since is a 400 on runs, quarantine and every telemetry report", async () => {
    for (const path of [
      "/v1/runs",
      "/v1/quarantine",
      "/v1/audit",
      "/v1/telemetry/failures",
      "/v1/telemetry/throughput",
      "/v1/telemetry/latency",
    ]) {
      const res = await request("GET", `${path}?since=99999999999d`);
      expect(res.statusCode, `${path}: ${res.body}`).toBe(400);
      expect(res.json().error.message).toMatch(/36500d/);
    }
  });

  it("older_than_days out of range is a 400", async () => {
    const res = await request("POST", "/v1/quarantine/purge", {
      older_than_days: 1e12,
      dry_run: true,
    });
    expect(res.statusCode, res.body).toBe(400);
  });
});

describe("nesting depth", () => {
  it("an input nested 1,500 levels is a 400 naming the limit, and nothing is stored", async () => {
    const before = await snapshot(h.keel);
    const started = Date.now();
    const res = await request("POST", "/v1/runs", { pipeline: "echo", input: deep(1500) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toMatch(/body\.input.*nested deeper than 64 levels/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await snapshot(h.keel)).toEqual(before);
  });

  it("an input at the limit is taken", async () => {
    const res = await request("POST", "/v1/runs", { pipeline: "echo", input: deep(63) });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe("list pages are summaries with a byte budget", () => {
  it("300 runs of 1 MB each list in a small page, with bounded memory; show returns a value whole", async () => {
    const big = { text: "x".repeat(1024 * 1024) };
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push((await h.keel.submit("echo", big as never)).id);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let cursor: string | null = null;
    let listed = 0;
    let pages = 0;
    do {
      const res = await request("GET", `/v1/runs?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.statusCode).toBe(200);
      // the budget is 1 MiB of values per page; the rest of each summary is a few hundred bytes
      expect(res.body.length).toBeLessThan(2 * 1024 * 1024);
      const page = res.json() as {
        runs: { id: string; input: unknown; elided: string[] }[];
        next_cursor: string | null;
      };
      for (const run of page.runs)
        if (ids.includes(run.id)) {
          expect(run.elided).toEqual(["input"]);
          expect(run.input).toEqual({ $elided: true, bytes: JSON.stringify(big).length });
        }
      listed += page.runs.length;
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(listed).toBeGreaterThanOrEqual(300);
    const growth = process.memoryUsage().rss - rssBefore;
    expect(growth, `RSS grew ${Math.round(growth / 1e6)} MB`).toBeLessThan(150 * 1024 * 1024);
    const shown = await request("GET", `/v1/runs/${ids[0]}`);
    expect(shown.statusCode).toBe(200);
    expect(shown.json().input).toEqual(big);
    expect(shown.json().elided).toEqual([]);
  }, 120_000);

  it("a quarantine page elides big values and cuts big errors", async () => {
    // quarantined by hand: twenty 1 MB runs, each with a 100 KB error stack
    const db = new Database(join(h.home, "keel.db"));
    try {
      db.prepare(
        `UPDATE runs SET status = 'quarantined', quarantine_reason = 'max_attempts', error = ?
         WHERE id IN (SELECT id FROM runs WHERE octet_length(input) > 1000000 LIMIT 20)`,
      ).run(JSON.stringify({ code: "boom", message: "it broke", stack: "at x\n".repeat(20_000) }));
    } finally {
      db.close();
    }
    const res = await request("GET", "/v1/quarantine?limit=1000");
    expect(res.statusCode).toBe(200);
    expect(res.body.length).toBeLessThan(256 * 1024);
    const runs = res.json().runs as { elided: string[]; error: unknown }[];
    expect(runs).toHaveLength(20);
    for (const run of runs) {
      expect(run.elided).toEqual(["input", "error"]);
      expect(run.error).toEqual({ code: "boom", message: "it broke" });
    }
  });
});
