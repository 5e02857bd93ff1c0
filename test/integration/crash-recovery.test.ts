import { Database } from "../../src/store/sqlite/driver.js";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { keel } from "../../src/index.js";
import { loadDocuments } from "../../examples/document-analysis/documents.js";
import { startNode, writeConfig, type NodeProcess } from "./node-process.js";

/**
 * Guarantees 1-3 with real processes: a node is SIGKILLed at random moments and restarted; at
 * the end every run succeeded, none was lost, and each (run, step) checkpoint exists once.
 */
const fixture = fileURLToPath(new URL("./fixtures/counted-pipelines.mjs", import.meta.url));
const children: NodeProcess[] = [];

afterEach(() => {
  for (const node of children.splice(0))
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
});

function effectCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const [run, step] = line.split(" ");
    const key = `${run} ${step}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function readStore(home: string): Database {
  return new Database(join(home, "keel.db"), { readonly: true });
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("crash recovery with real processes", () => {
  it("survives 20+ SIGKILLs of a node running 500 demo runs: nothing lost, each checkpoint once", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-crash-"));
    const effects = join(home, "effects.log");
    const config = writeConfig(home, [fixture], "workers:\n  concurrency: 8\n");
    const env = { KEEL_TEST_EFFECTS: effects };

    const documents = await loadDocuments();
    const client = keel({ home });
    const { countedDocumentAnalysis } = (await import(fixture)) as {
      countedDocumentAnalysis: never;
    };
    const inputs = Array.from({ length: 500 }, (_, i) => documents[i % documents.length]);
    // submitted in batches so the kills also land while enqueues are committed
    for (let i = 0; i < inputs.length; i += 100)
      await client.submitMany(countedDocumentAnalysis, inputs.slice(i, i + 100) as never[]);
    await client.stop();

    let kills = 0;
    let succeededAtKill: number[] = [];
    const store = readStore(home);
    const succeeded = (): number =>
      (
        store.prepare("SELECT count(*) AS n FROM runs WHERE status = 'succeeded'").get() as {
          n: number;
        }
      ).n;
    try {
      while (kills < 20 || succeeded() === 0) {
        const node = startNode(home, config, env);
        children.push(node);
        await node.ready;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 180));
        node.child.kill("SIGKILL");
        await node.exited;
        kills += 1;
        succeededAtKill.push(succeeded());
      }
      // the kills must have landed mid-workload, not before or after it
      expect(succeededAtKill.some((n) => n > 0 && n < 500)).toBe(true);

      const final = startNode(home, config, env);
      children.push(final);
      await final.ready;
      await waitUntil(() => succeeded() === 500, 120_000);
      final.child.kill("SIGTERM");
      expect(await final.exited).toBe(0);

      const statuses = store
        .prepare("SELECT status, count(*) AS n FROM runs GROUP BY status")
        .all();
      expect(statuses).toEqual([{ status: "succeeded", n: 500 }]);
      const checkpoints = store
        .prepare(
          "SELECT count(*) AS n, count(DISTINCT run_id || ' ' || step) AS distinct_n FROM step_results",
        )
        .get();
      expect(checkpoints).toEqual({ n: 5500, distinct_n: 5500 });
      const doubled = store
        .prepare(
          "SELECT run_id, step, count(*) AS n FROM transitions WHERE step IS NOT NULL AND to_status = 'succeeded' GROUP BY run_id, step HAVING n > 1",
        )
        .all();
      expect(doubled).toEqual([]);
      expect(store.pragma("integrity_check", { simple: true })).toBe("ok");

      // every step ran at least once; re-executions are bounded by what was in flight at each kill
      const counts = effectCounts(effects);
      expect(counts.size).toBe(5500);
      const executions = [...counts.values()].reduce((a, b) => a + b, 0);
      expect(executions - 5500).toBeLessThanOrEqual(kills * 8 * 4);
      console.info(
        `crash test: ${kills} SIGKILLs, succeeded runs at each kill ${succeededAtKill.join(",")}; ${executions - 5500} step re-executions of 5500`,
      );
    } finally {
      store.close();
    }
    rmSync(home, { recursive: true, force: true });
    succeededAtKill = [];
  }, 300_000);

  it("a resumed run skips its completed steps", async () => {
    const home = mkdtempSync(join(tmpdir(), "keel-resume-"));
    const effects = join(home, "effects.log");
    const config = writeConfig(home, [fixture]);
    const env = { KEEL_TEST_EFFECTS: effects };
    const client = keel({ home });
    const { killOnce } = (await import(fixture)) as { killOnce: never };
    const run = await client.submit(killOnce, { n: 1 } as never);
    await client.stop();

    const first = startNode(home, config, env);
    children.push(first);
    // the killer step may SIGKILL the node before it says it is ready (its API starts after the
    // claimer), so only its death is waited for
    first.ready.catch(() => undefined);
    await first.exited;
    expect(first.child.signalCode).toBe("SIGKILL");

    const second = startNode(home, config, env);
    children.push(second);
    await second.ready;
    const store = readStore(home);
    try {
      await waitUntil(
        () =>
          (store.prepare("SELECT status FROM runs WHERE id = ?").get(run.id) as { status: string })
            .status === "succeeded",
        20_000,
      );
      const output = JSON.parse(
        (store.prepare("SELECT output FROM runs WHERE id = ?").get(run.id) as { output: string })
          .output,
      );
      expect(output).toEqual({ last: { n: 21 } });
      const counts = effectCounts(effects);
      expect(counts.get(`${run.id} first`)).toBe(1);
      expect(counts.get(`${run.id} killer`)).toBe(2);
      expect(counts.get(`${run.id} last`)).toBe(1);
      const reasons = (
        store
          .prepare("SELECT reason FROM transitions WHERE run_id = ? AND step IS NULL ORDER BY id")
          .all(run.id) as { reason: string }[]
      ).map((r) => r.reason);
      // released at once because the dead node's pid is gone, not after a lease timeout
      expect(reasons).toEqual(["submitted", "claimed", "node_dead", "claimed", "completed"]);
    } finally {
      store.close();
      second.child.kill("SIGTERM");
      await second.exited;
    }
    rmSync(home, { recursive: true, force: true });
  }, 60_000);
});
