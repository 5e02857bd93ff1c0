import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { keel } from "../../src/index.js";
import { Database } from "../../src/store/sqlite/driver.js";
import { startNode, writeConfig, type NodeProcess } from "../integration/node-process.js";
import { expectStoreIntact, healthOf, nodeApi, waitFor } from "./helpers.js";

/**
 * A node SIGKILLed on a host where another node shares its store file: two real `keel start`
 * processes (homes of their own, one store through KEEL_STORE). The doomed one holds every run
 * mid-step; once it is killed the survivor finds its pid gone, returns its runs to pending and runs
 * them from their last checkpoint within 5 s (loose: the precise figure is printed, and
 * bench/recovery.mjs measures it). Every run succeeds, no checkpoint is recorded twice, the store
 * is intact, and the survivor's health names the dead node, why and how many runs it returned.
 */
const fixture = fileURLToPath(new URL("./fixtures/held-pipelines.mjs", import.meta.url));
const RUNS = 8;
const STEPS = 3;
const nodes: NodeProcess[] = [];
const homes: string[] = [];

afterAll(() => {
  for (const node of nodes)
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill("SIGKILL");
});

function newHome(): string {
  const home = mkdtempSync(join(tmpdir(), "keel-node-kill-"));
  homes.push(home);
  return home;
}

function nodeIdOf(node: NodeProcess): string {
  const id = /keel node (\S+) running/.exec(node.output())?.[1];
  if (!id) throw new Error(`no node id in: ${node.output()}`);
  return id;
}

/** A `keel start` node of `home` on the store file `store`, whose `hold` steps last `holdMs`. */
async function startHolding(home: string, store: string, holdMs: number): Promise<NodeProcess> {
  const node = startNode(home, writeConfig(home, [fixture]), {
    // port 0: two APIs on one machine; KEEL_STORE: both nodes work on one store file
    KEEL_SERVER_PORT: "0",
    KEEL_STORE: store,
    KEEL_WORKERS_CONCURRENCY: String(RUNS),
    KEEL_TEST_HOLD_MS: String(holdMs),
  });
  nodes.push(node);
  await node.ready;
  return node;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("node kill", () => {
  it("a SIGKILLed node's runs are taken over by the survivor on its host: none lost, each checkpoint once", async () => {
    const doomedHome = newHome();
    const survivorHome = newHome();
    const store = join(doomedHome, "keel.db");
    const client = keel({ home: doomedHome, logger: pino({ level: "silent" }) });
    const { heldChain } = (await import(fixture)) as { heldChain: never };
    await client.submitMany(
      heldChain,
      Array.from({ length: RUNS }, (_, n) => ({ n }) as never),
    );
    await client.stop();

    const doomed = await startHolding(doomedHome, store, 600_000);
    const db = new Database(store, { readonly: true });
    try {
      const holding = db.prepare(
        "SELECT count(*) AS n FROM transitions WHERE step = 'hold' AND to_status = 'running' AND actor = ?",
      );
      const statuses = (): { status: string; n: number }[] =>
        db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all() as never;
      const doomedId = nodeIdOf(doomed);
      await waitFor(
        () => (holding.get(doomedId) as { n: number }).n === RUNS,
        10_000,
        `the doomed node holding all ${RUNS} runs in their second step`,
      );

      const survivor = await startHolding(survivorHome, store, 100);
      const survivorId = nodeIdOf(survivor);
      const before = await healthOf(survivorHome, "node");
      expect(before).toMatchObject({ status: "healthy", details: { dead_nodes: [] } });
      expect(statuses()).toEqual([{ status: "running", n: RUNS }]);

      const killedAt = Date.now();
      doomed.child.kill("SIGKILL");
      await doomed.exited;
      await waitFor(
        () => (holding.get(survivorId) as { n: number }).n === RUNS,
        5000,
        `the survivor running all ${RUNS} runs again within 5 s of the kill`,
      );
      const released = db
        .prepare(
          "SELECT reason, max(at) AS at FROM transitions WHERE from_status = 'running' AND to_status = 'pending' GROUP BY reason",
        )
        .all() as { reason: string; at: number }[];
      // its pid was found gone: not a lease that ran out, not a silent heartbeat
      expect(released.map((r) => r.reason)).toEqual(["node_dead"]);
      const takenOverMs =
        (
          db
            .prepare(
              "SELECT max(at) AS at FROM transitions WHERE step = 'hold' AND to_status = 'running' AND actor = ?",
            )
            .get(survivorId) as { at: number }
        ).at - killedAt;

      await waitFor(
        () => statuses()[0]?.status === "succeeded",
        10_000,
        `all ${RUNS} runs succeeded`,
      );
      expect(statuses()).toEqual([{ status: "succeeded", n: RUNS }]);
      const doneMs = Date.now() - killedAt;
      console.info(
        `node kill: ${RUNS} runs back to pending ${released[0]!.at - killedAt} ms after the SIGKILL, all running on the survivor after ${takenOverMs} ms, all done after ${doneMs} ms`,
      );
      // resumed after their checkpoint: the doomed node's prep stands, the survivor did the rest
      expect(
        db
          .prepare(
            "SELECT step, node_id AS node, count(*) AS n FROM step_results GROUP BY step, node_id ORDER BY step",
          )
          .all(),
      ).toEqual([
        { step: "hold", node: survivorId, n: RUNS },
        { step: "prep", node: doomedId, n: RUNS },
        { step: "seal", node: survivorId, n: RUNS },
      ]);

      // keel says what happened: for a minute the survivor names the dead node, why and what it
      // took over (degraded, as for a worker process death), then lists it in its details
      const after = await healthOf(survivorHome, "node");
      expect(after.status).toBe("degraded");
      expect(after.reason).toMatch(
        new RegExp(
          `^node ${escape(doomedId)} \\(pid ${doomed.child.pid}, process gone\\) declared dead [\\d.]+ s ago, ${RUNS} runs returned to pending$`,
        ),
      );
      expect(after.details?.dead_nodes).toEqual([
        expect.objectContaining({
          node_id: doomedId,
          pid: doomed.child.pid,
          cause: "process_gone",
          runs_returned: RUNS,
        }),
      ]);
      const { body } = await nodeApi(survivorHome, "/v1/status");
      const states = Object.fromEntries(
        (body.nodes as { id: string; state: string }[]).map((n) => [n.id, n.state]),
      );
      expect(states).toEqual({ [doomedId]: "offline", [survivorId]: "active" });

      survivor.child.kill("SIGTERM");
      expect(await survivor.exited).toBe(0);
    } finally {
      db.close();
    }
    expectStoreIntact(doomedHome, RUNS, STEPS);
    // keel's own invariants too (what `keel db check` runs)
    const checker = keel({ home: doomedHome, logger: pino({ level: "silent" }) });
    const integrity = await checker.store.checkIntegrity();
    await checker.stop();
    expect(integrity.problems).toEqual([]);
    expect(integrity.ok).toBe(true);
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }, 60_000);
});
