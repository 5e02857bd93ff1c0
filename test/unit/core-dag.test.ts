import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checkDag, downstreamOf, readySteps, type DagNode } from "../../src/core/dag.js";
import { pipeline, step, isPipeline, type AnyStep } from "../../src/core/pipeline.js";
import { PipelineDefinitionError } from "../../src/core/errors/definition-errors.js";

const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,8}$/);

/** Random DAGs: node i may only run after nodes with a smaller index. */
const dagArb: fc.Arbitrary<DagNode[]> = fc
  .integer({ min: 1, max: 12 })
  .chain((n) =>
    fc
      .tuple(
        fc.uniqueArray(nameArb, { minLength: n, maxLength: n }),
        fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            fc.subarray(Array.from({ length: i }, (_, k) => k)),
          ),
        ),
      )
      .map(([names, deps]) =>
        names.map((name, i) => ({ name, after: (deps[i] ?? []).map((k) => names[k] as string) })),
      ),
  );

function ancestors(nodes: readonly DagNode[], name: string): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out = new Set<string>();
  const stack = [...(byName.get(name)?.after ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (out.has(next)) continue;
    out.add(next);
    stack.push(...(byName.get(next)?.after ?? []));
  }
  return out;
}

function definitionError(fn: () => unknown): PipelineDefinitionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineDefinitionError);
    expect((e as PipelineDefinitionError).code).toBe("invalid_pipeline");
    return e as PipelineDefinitionError;
  }
  throw new Error("expected a PipelineDefinitionError, nothing was thrown");
}

const noop = () => null;

describe("checkDag on random DAGs", () => {
  it("validates, and order is a topological order (declaration order when deps point backwards)", () => {
    fc.assert(
      fc.property(dagArb, (nodes) => {
        const shape = checkDag("p", nodes);
        expect([...shape.order].sort()).toEqual(nodes.map((n) => n.name).sort());
        const pos = new Map(shape.order.map((name, i) => [name, i]));
        for (const n of nodes)
          for (const d of n.after) expect(pos.get(d)).toBeLessThan(pos.get(n.name) as number);
        expect(shape.order).toEqual(nodes.map((n) => n.name));
      }),
    );
  });

  it("roots, sinks and dependents are correct", () => {
    fc.assert(
      fc.property(dagArb, (nodes) => {
        const shape = checkDag("p", nodes);
        expect(shape.roots).toEqual(nodes.filter((n) => n.after.length === 0).map((n) => n.name));
        const depended = new Set(nodes.flatMap((n) => n.after));
        expect(shape.sinks).toEqual(nodes.filter((n) => !depended.has(n.name)).map((n) => n.name));
        expect(shape.roots.length).toBeGreaterThan(0);
        expect(shape.sinks.length).toBeGreaterThan(0);
        for (const n of nodes) {
          expect([...(shape.dependents[n.name] ?? [])].sort()).toEqual(
            nodes
              .filter((m) => m.after.includes(n.name))
              .map((m) => m.name)
              .sort(),
          );
        }
      }),
    );
  });

  it("adding a back edge closes a cycle, and the error names a real cycle through it", () => {
    const arb = dagArb
      .filter((n) => n.length >= 2)
      .chain((nodes) =>
        fc.tuple(
          fc.constant(nodes),
          fc.integer({ min: 0, max: nodes.length - 1 }),
          fc.integer({ min: 0, max: nodes.length - 1 }),
        ),
      );
    fc.assert(
      fc.property(
        arb.filter(([, i, j]) => i < j),
        ([nodes, i, j]) => {
          const lo = nodes[i] as DagNode;
          const hi = nodes[j] as DagNode;
          const cyclic = nodes.map((n) => {
            if (n === hi && !n.after.includes(lo.name))
              return { ...n, after: [...n.after, lo.name] };
            if (n === lo) return { ...n, after: [...n.after, hi.name] };
            return n;
          });
          const err = definitionError(() => checkDag("p", cyclic));
          const cycle = err.details.cycle as string[];
          expect(err.message).toContain(`steps form a cycle: ${cycle.join(" -> ")}`);
          expect(cycle[0]).toBe(cycle[cycle.length - 1]);
          const byName = new Map(cyclic.map((n) => [n.name, n]));
          for (let k = 0; k + 1 < cycle.length; k++)
            expect(byName.get(cycle[k] as string)?.after).toContain(cycle[k + 1]);
          expect(cycle).toContain(lo.name);
          expect(cycle).toContain(hi.name);
        },
      ),
    );
  });
});

describe("pipeline definition errors", () => {
  it("names a two-step cycle: a -> b -> a", () => {
    const err = definitionError(() =>
      checkDag("p", [
        { name: "a", after: ["b"] },
        { name: "b", after: ["a"] },
      ]),
    );
    expect(err.message).toBe('pipeline "p": steps form a cycle: a -> b -> a');
    expect(err.details.cycle).toEqual(["a", "b", "a"]);
  });

  it("names a longer cycle, leaving out the steps not on it", () => {
    const a = step("a", { after: ["c"] }, noop);
    const b = step("b", { after: ["a"] }, noop);
    const c = step("c", { after: ["b", "x"] }, noop);
    const x = step("x", noop);
    expect(definitionError(() => pipeline("loop", [x, a, b, c])).message).toMatch(
      /cycle: a -> c -> b -> a$/,
    );
  });

  it("rejects an empty pipeline", () => {
    expect(definitionError(() => pipeline("empty", [])).message).toMatch(
      /^pipeline "empty": it has no steps/,
    );
  });

  it("rejects a duplicate step, naming it", () => {
    const err = definitionError(() => pipeline("dup", [step("load", noop), step("load", noop)]));
    expect(err.message).toContain('step "load" is defined twice');
    expect(err.details).toMatchObject({ pipeline: "dup", step: "load" });
  });

  it("rejects an unknown after, naming the step and the missing dependency", () => {
    const err = definitionError(() =>
      pipeline("p", [step("a", noop), step("b", { after: ["nope"] }, noop)]),
    );
    expect(err.message).toContain('step "b" runs after "nope"');
    expect(err.details).toMatchObject({ step: "b", after: "nope" });
  });

  it("rejects a step that lists itself in after", () => {
    expect(
      definitionError(() => pipeline("p", [step("a", { after: ["a"] }, noop)])).message,
    ).toContain('step "a" lists itself in after');
  });

  for (const bad of ["", "has space", "-leading", "_x", "a/b", "x".repeat(65), "ünï"]) {
    it(`rejects the step name ${JSON.stringify(bad)}, naming it`, () => {
      const err = definitionError(() => pipeline("p", [step(bad, noop)]));
      expect(err.message).toContain(`step name ${JSON.stringify(bad)} is invalid`);
    });
  }

  it("rejects an invalid pipeline name", () => {
    expect(definitionError(() => pipeline("bad name", [step("a", noop)])).message).toMatch(
      /^pipeline "bad name": the pipeline name/,
    );
  });

  it("rejects an unknown step option, naming the option", () => {
    const err = definitionError(() => step("a", { retries: 3 } as never, noop));
    expect(err.message).toContain('step "a" has unknown option "retries"');
    expect(err.details).toMatchObject({ step: "a", option: "retries" });
  });

  it("rejects a missing function, a bad timeout, and non-step entries", () => {
    expect(definitionError(() => step("a", {} as never)).message).toContain(
      'step "a" needs a function',
    );
    for (const timeout of [0, -5, Number.NaN, Infinity])
      expect(definitionError(() => step("a", { timeout }, noop)).message).toContain("timeout");
    expect(
      definitionError(() => pipeline("p", [step("a", noop), { name: "b" } as unknown as AnyStep]))
        .message,
    ).toContain("steps[1] is not a step()");
  });
});

describe("pipeline", () => {
  it("accepts typed and string after, and fixes a version that follows the definition", () => {
    const a = step("a", noop);
    const b = step("b", { after: [a], timeout: 5 }, noop);
    const p = pipeline("ok", [a, b]);
    expect(isPipeline(p)).toBe(true);
    expect(isPipeline({ name: "ok" })).toBe(false);
    expect(b.after).toEqual(["a"]);
    expect(p.shape.order).toEqual(["a", "b"]);
    expect(p.version).toMatch(/^[0-9a-f]{16}$/);
    expect(
      pipeline("ok", [step("a", noop), step("b", { after: ["a"], timeout: 5 }, noop)]).version,
    ).toBe(p.version);
    expect(pipeline("ok", [a, step("b", { after: ["a"], timeout: 6 }, noop)]).version).not.toBe(
      p.version,
    );
    expect(pipeline("ok", [a, step("b", { after: ["a"], timeout: 5 }, () => 1)]).version).not.toBe(
      p.version,
    );
  });
});

describe("readySteps and downstreamOf", () => {
  it("readySteps on a diamond", () => {
    const nodes: DagNode[] = [
      { name: "a", after: [] },
      { name: "b", after: ["a"] },
      { name: "c", after: ["a"] },
      { name: "d", after: ["b", "c"] },
    ];
    expect(readySteps(nodes, new Set(), new Set())).toEqual(["a"]);
    expect(readySteps(nodes, new Set(), new Set(["a"]))).toEqual([]);
    expect(readySteps(nodes, new Set(["a"]), new Set(["b"]))).toEqual(["c"]);
    expect(readySteps(nodes, new Set(["a", "b"]), new Set())).toEqual(["c"]);
    expect(readySteps(nodes, new Set(["a", "b", "c"]), new Set())).toEqual(["d"]);
    expect(readySteps(nodes, new Set(["a", "b", "c", "d"]), new Set())).toEqual([]);
    const shape = checkDag("p", nodes);
    expect(downstreamOf(shape, "b")).toEqual(["b", "d"]);
    expect(downstreamOf(shape, "a")).toEqual(["a", "b", "c", "d"]);
    expect(downstreamOf(shape, "d")).toEqual(["d"]);
    expect(downstreamOf(shape, "zzz")).toEqual([]);
  });

  it("running whatever is ready always finishes every step, each after its deps", () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat(), { maxLength: 20 }), (nodes, picks) => {
        const done = new Set<string>();
        for (let round = 0; done.size < nodes.length; round++) {
          const ready = readySteps(nodes, done, new Set());
          expect(ready.length).toBeGreaterThan(0);
          const chosen = ready[
            (picks[round % Math.max(1, picks.length)] ?? 0) % ready.length
          ] as string;
          const node = nodes.find((n) => n.name === chosen) as DagNode;
          for (const d of node.after) expect(done.has(d)).toBe(true);
          done.add(chosen);
        }
        expect(readySteps(nodes, done, new Set())).toEqual([]);
      }),
    );
  });

  it("downstreamOf is the step plus its transitive dependents, in order, never an upstream step", () => {
    fc.assert(
      fc.property(
        dagArb.chain((nodes) =>
          fc.tuple(fc.constant(nodes), fc.constantFrom(...nodes.map((n) => n.name))),
        ),
        ([nodes, start]) => {
          const shape = checkDag("p", nodes);
          const down = downstreamOf(shape, start);
          expect(down).toContain(start);
          for (const up of ancestors(nodes, start)) expect(down).not.toContain(up);
          expect(down).toEqual(shape.order.filter((name) => down.includes(name)));
          const expected = nodes
            .filter((n) => n.name === start || ancestors(nodes, n.name).has(start))
            .map((n) => n.name);
          expect([...down].sort()).toEqual(expected.sort());
        },
      ),
    );
  });
});
