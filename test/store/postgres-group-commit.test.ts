import { describe, expect, it, onTestFinished } from "vitest";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import {
  NOW,
  checkpoint,
  claim,
  claimOne,
  submitMany,
} from "../../src/store/store-case/helpers.case.test.js";
import { dropSchema, freshSchema, onSchema, useTestPostgres } from "./postgres-server.js";

// The PostgreSQL group commit (src/store/postgres/group-commit.ts): what the conformance suite
// cannot see through the Store interface, that the fenced writes and the claim a node asks for in
// one turn share one transaction. Each row's xmin is the transaction that last wrote it.
const server = useTestPostgres();

async function openStore(): Promise<{
  store: PostgresStore;
  xmins: () => Promise<Map<string, string>>;
}> {
  const { url } = server();
  const schema = freshSchema("keel_gc");
  const store = PostgresStore.open({ url, schema, clock: "caller", poolSize: 4 });
  await store.ready();
  onTestFinished(async ({ task }) => {
    await store.close();
    if (task.result?.state !== "fail") await dropSchema(url, schema);
  });
  const xmins = () =>
    onSchema(url, schema, async (c) => {
      const { rows } = await c.query<{ id: string; x: string }>(
        "SELECT id, xmin::text AS x FROM runs",
      );
      return new Map(rows.map((r) => [r.id, r.x]));
    });
  return { store, xmins };
}

describe("PostgreSQL group commit", () => {
  it("commits the checkpoints of one turn in one transaction, and refuses a stale lease alone", async () => {
    const { store, xmins } = await openStore();
    await submitMany(store, 4);
    const claimed = await claim(store, { limit: 4 });
    expect(claimed).toHaveLength(4);
    const [stale, ...good] = claimed as [(typeof claimed)[0], ...typeof claimed];
    const results = await Promise.allSettled([
      ...good.map((r) => store.completeStep(r.lease, checkpoint("a"), { done: true })),
      store.completeStep({ ...stale.lease, epoch: stale.lease.epoch + 1 }, checkpoint("a")),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
    ]);
    expect((results[3] as PromiseRejectedResult).reason).toMatchObject({ code: "lease_lost" });
    const after = await xmins();
    const committedBy = new Set(good.map((r) => after.get(r.run.id)));
    expect(committedBy.size).toBe(1);
    // the stale write changed nothing: its run keeps the claim's transaction
    expect(committedBy.has(after.get(stale.run.id))).toBe(false);
    expect(await store.listStepResults(stale.run.id)).toEqual([]);
    for (const r of good) {
      expect((await store.getRun(r.run.id))?.status).toBe("succeeded");
      expect((await store.listTransitions(r.run.id)).map((t) => t.reason)).toEqual([
        "submitted",
        "claimed",
        "checkpoint",
        "completed",
      ]);
    }
  });

  it("puts the claim asked for in the same turn into the checkpoints' transaction", async () => {
    const { store, xmins } = await openStore();
    await submitMany(store, 2);
    const first = await claimOne(store);
    const [, next] = await Promise.all([
      store.completeStep(first.lease, checkpoint("a"), { done: true }),
      claim(store, { limit: 1, now: NOW + 300 }),
    ]);
    expect(next).toHaveLength(1);
    const after = await xmins();
    expect(after.get(next[0]?.run.id ?? "")).toBe(after.get(first.run.id));
  });

  it("writes two checkpoints of one run in one turn in order, beside another run's", async () => {
    const { store, xmins } = await openStore();
    await submitMany(store, 2);
    const [one, other] = await claim(store, { limit: 2 });
    if (!one || !other) throw new Error("nothing claimed");
    await Promise.all([
      store.completeStep(one.lease, checkpoint("a")),
      store.completeStep(other.lease, checkpoint("a"), { done: true }),
      store.completeStep(one.lease, checkpoint("b", { finishedAt: NOW + 250 }), { done: true }),
    ]);
    expect((await store.listStepResults(one.run.id)).map((s) => s.step).sort()).toEqual(["a", "b"]);
    expect((await store.listTransitions(one.run.id)).map((t) => [t.step, t.to])).toEqual([
      [null, "pending"],
      [null, "running"],
      ["a", "succeeded"],
      ["b", "succeeded"],
      [null, "succeeded"],
    ]);
    expect(await store.getRun(one.run.id)).toMatchObject({
      status: "succeeded",
      output: { done: true },
    });
    const after = await xmins();
    expect(after.get(one.run.id)).toBe(after.get(other.run.id));
  });

  it("puts a submit of the same turn into the batch: a stream of submits does not queue one by one", async () => {
    const { store, xmins } = await openStore();
    await submitMany(store, 1);
    const held = await claimOne(store);
    const [, submitted] = await Promise.all([
      store.completeStep(held.lease, checkpoint("a"), { done: true }),
      submitMany(store, 2),
    ]);
    const after = await xmins();
    for (const run of submitted) expect(after.get(run.id)).toBe(after.get(held.run.id));
    expect((await store.listTransitions(submitted[0]?.id ?? "")).map((t) => t.reason)).toEqual([
      "submitted",
    ]);
  });
});
