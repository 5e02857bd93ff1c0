import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../core/canonical-json.js";
import type { NodeRecord, PipelineRecord } from "../records.js";
import type { NewNode, Store } from "../store.js";
import { NOW, calledWithin, newRun, submit, type StoreHandle } from "./helpers.case.test.js";

function newNode(id: string, overrides: Partial<NewNode> = {}): NewNode {
  return {
    id,
    host: "host-1",
    pid: 1234,
    capabilities: ["p1", "p2"],
    version: "0.1.0",
    now: NOW,
    ...overrides,
  };
}

const byName = <T extends { name: string }>(list: T[]): T[] =>
  [...list].sort((a, b) => a.name.localeCompare(b.name));
const byId = <T extends { id: string }>(list: T[]): T[] =>
  [...list].sort((a, b) => a.id.localeCompare(b.id));

export function registryCases(h: StoreHandle & { readonly peer?: Store }): void {
  describe("nodes", () => {
    it("registers nodes and lists them with every field", async () => {
      expect(await h.store.listNodes()).toEqual([]);
      await h.store.registerNode(newNode("n1", { now: NOW }));
      await h.store.registerNode(
        newNode("n2", {
          host: "host-2",
          pid: 99,
          process: { space: "boot-1/pid:[4026531836]", start: 123_456_789 },
          capabilities: [],
          version: "0.2.0",
          now: NOW + 5,
        }),
      );
      const expected: NodeRecord[] = [
        {
          id: "n1",
          host: "host-1",
          pid: 1234,
          process: null,
          capabilities: ["p1", "p2"],
          state: "active",
          version: "0.1.0",
          startedAt: NOW,
          heartbeatAt: NOW,
          ...unclustered,
        },
        {
          id: "n2",
          host: "host-2",
          pid: 99,
          process: { space: "boot-1/pid:[4026531836]", start: 123_456_789 },
          capabilities: [],
          state: "active",
          version: "0.2.0",
          startedAt: NOW + 5,
          heartbeatAt: NOW + 5,
          ...unclustered,
        },
      ];
      expect(byId(await h.store.listNodes())).toEqual(expected);
    });

    it("sets a node's state, leaving the other nodes alone", async () => {
      await h.store.registerNode(newNode("n1"));
      await h.store.registerNode(newNode("n2"));
      await h.store.setNodeState("n1", "draining", NOW + 10);
      expect(byId(await h.store.listNodes()).map((n) => [n.id, n.state])).toEqual([
        ["n1", "draining"],
        ["n2", "active"],
      ]);
      await h.store.setNodeState("n1", "offline", NOW + 20);
      expect(byId(await h.store.listNodes()).map((n) => [n.id, n.state])).toEqual([
        ["n1", "offline"],
        ["n2", "active"],
      ]);
    });

    it("keeps one row per node id when a node registers again, active again", async () => {
      await h.store.registerNode(newNode("n1", { now: NOW }));
      await h.store.setNodeState("n1", "offline", NOW + 10);
      await h.store.registerNode(newNode("n1", { now: NOW + 1000 }));
      const nodes = await h.store.listNodes();
      expect(nodes).toHaveLength(1);
      expect(nodes[0]).toMatchObject({ id: "n1", state: "active", heartbeatAt: NOW + 1000 });
    });

    it("takes the new process's pid, identity and start when a node id registers again", async () => {
      // a restart with a fixed node id: other nodes must judge the new process, not the old pid
      await h.store.registerNode(
        newNode("n1", { pid: 10, process: { space: "boot-1/ns-1", start: 500 }, now: NOW }),
      );
      await h.store.registerNode(
        newNode("n1", {
          pid: 20,
          process: { space: "boot-2/ns-1", start: 700 },
          host: "host-2",
          capabilities: ["gpu"],
          version: "0.2.0",
          now: NOW + 1000,
        }),
      );
      expect(await h.store.listNodes()).toEqual([
        {
          id: "n1",
          host: "host-2",
          pid: 20,
          process: { space: "boot-2/ns-1", start: 700 },
          capabilities: ["gpu"],
          state: "active",
          version: "0.2.0",
          startedAt: NOW + 1000,
          heartbeatAt: NOW + 1000,
          ...unclustered,
        },
      ]);
      // a process that could not read its identity leaves none behind from the previous one
      await h.store.registerNode(newNode("n1", { pid: 30, now: NOW + 2000 }));
      expect((await h.store.listNodes())[0]).toMatchObject({ pid: 30, process: null });
    });
  });

  describe("pipelines", () => {
    const p1: PipelineRecord = {
      name: "p1",
      version: "v1",
      steps: [
        { name: "a", after: [] },
        { name: "b", after: ["a"] },
      ],
      registeredAt: NOW,
    };
    const p2: PipelineRecord = {
      name: "p2",
      version: "v1",
      steps: [{ name: "only", after: [] }],
      registeredAt: NOW,
    };

    it("registers pipelines and lists them", async () => {
      expect(await h.store.listPipelines()).toEqual([]);
      await h.store.registerPipelines([p1, p2]);
      expect(byName(await h.store.listPipelines())).toEqual([p1, p2]);
    });

    it("upserts by name: one row per pipeline, the latest definition", async () => {
      await h.store.registerPipelines([p1, p2]);
      const p1v2: PipelineRecord = {
        name: "p1",
        version: "v2",
        steps: [
          { name: "a", after: [] },
          { name: "c", after: ["a"] },
          { name: "d", after: ["a", "c"] },
        ],
        registeredAt: NOW + 100,
      };
      await h.store.registerPipelines([p1v2]);
      expect(byName(await h.store.listPipelines())).toEqual([p1v2, p2]);
      await h.store.registerPipelines([]);
      expect(await h.store.listPipelines()).toHaveLength(2);
    });
  });

  describe("settings", () => {
    it("returns undefined for an unknown key", async () => {
      expect(await h.store.getSetting("nope")).toBeUndefined();
    });

    it("round-trips JSON values of every shape", async () => {
      const values: Record<string, JsonValue> = {
        object: { paused: ["p1"], limits: { p2: 3 }, nested: { deep: [null, true] } },
        array: [1, "two", { three: 3 }],
        string: "hello",
        jsonLikeString: "123",
        number: 42.5,
        zero: 0,
        boolean: false,
        null: null,
      };
      for (const [key, value] of Object.entries(values))
        await h.store.setSetting(key, value, { actor: "tester", at: NOW });
      for (const [key, value] of Object.entries(values))
        expect(await h.store.getSetting(key)).toEqual(value);
    });

    it("overwrites a key, leaving the others", async () => {
      await h.store.setSetting("a", { v: 1 }, { actor: "alice", at: NOW });
      await h.store.setSetting("b", "keep", { actor: "alice", at: NOW });
      await h.store.setSetting("a", [2], { actor: "bob", at: NOW + 1 });
      expect(await h.store.getSetting("a")).toEqual([2]);
      expect(await h.store.getSetting("b")).toBe("keep");
    });
  });

  describe("onWork", () => {
    it("calls the listener when a run is submitted", async () => {
      const called = calledWithin((listener) => h.store.onWork(listener));
      await submit(h.store);
      await called;
    });

    it("calls the listener when another connection commits a run (another process's submit)", async () => {
      // every backend's harness gives a peer; the run must come from it, not from this store
      expect(h.peer, "the harness must open a second store on the same data").toBeDefined();
      const called = calledWithin((listener) => h.store.onWork(listener));
      await (h.peer as Store).submitRuns([newRun()]);
      await called;
      // and again: the change seen first must not hide the next one
      const again = calledWithin((listener) => h.store.onWork(listener));
      await (h.peer as Store).submitRuns([newRun()]);
      await again;
    });

    it("stops calling a listener once it unsubscribed", async () => {
      let removedCalls = 0;
      const unsubscribeRemoved = h.store.onWork(() => (removedCalls += 1));
      unsubscribeRemoved();
      const keptCalled = calledWithin((listener) => h.store.onWork(listener));
      await h.store.submitRuns([newRun()]);
      // the hint reached the listener still subscribed, so it would have reached the removed one too
      await keptCalled;
      expect(removedCalls).toBe(0);
    });
  });
}

/** what a node registered without cluster options records */
const unclustered = {
  pools: {},
  slots: 0,
  joinTokenId: null,
  drainDeadline: null,
  progressAt: null,
  blocked: null,
};
