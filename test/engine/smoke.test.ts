import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keel, pipeline, step, PermanentError } from "../../src/index.js";

describe("engine smoke", () => {
  it("runs a DAG", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-smoke-"));
    const a = step("a", (_c, i: { n: number }) => ({ v: i.n + 1 }));
    const b = step("b", { after: [a] }, (_c, d) => ({ v: d.a.v * 2 }));
    const c = step("c", { after: [a] }, (_c, d) => ({ v: d.a.v * 3 }));
    const e = step("e", { after: [b, c] }, (_c, d) => d.b.v + d.c.v);
    const p = pipeline("smoke", [a, b, c, e]);
    const k = keel({ home, pipelines: [p] });
    await k.start();
    const run = await k.submit(p, { n: 1 });
    const done = await k.wait(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ e: 10 });
    const bad = pipeline("bad", [step("x", () => { throw new PermanentError("nope", "validation"); })]);
    k.register(bad);
    await k.stop();
  });
});
