import { describe, expect, it } from "vitest";
import {
  findCycles,
  longestChain,
  validate,
} from "../../examples/document-analysis/steps/dag-validation.js";
import { scoreFeasibility } from "../../examples/document-analysis/steps/feasibility-scoring.js";
import { detectMonetary } from "../../examples/document-analysis/steps/monetary-detection.js";
import { detectResponsibilities } from "../../examples/document-analysis/steps/responsibility-detection.js";
import { segment } from "../../examples/document-analysis/steps/segmentation.js";
import { parsePlan } from "../../examples/document-analysis/steps/plan-processing.js";
import {
  assignLevels,
  buildTheoryOfChange,
  type TheoryOfChange,
} from "../../examples/document-analysis/steps/theory-of-change.js";

const edges = (...pairs: [string, string][]) => pairs.map(([from, to]) => ({ from, to }));
const link = (sentence: string, cause: string, effect: string) => ({
  sentence,
  section: "sec1",
  marker: "leads to",
  cause,
  effect,
});

describe("feasibility_scoring", () => {
  it("scores a complete plan high and an empty one low, with the reasons", () => {
    const plan =
      "# Wells\n## Plan\nThe Council is responsible for drilling. Nurses will test water. The Water Board will maintain pumps. The Mayor's Office shall report.\nDrilling starts in March 2025. Testing ends in 2026. Pumps are fitted within six months.\nThe main risk is drought. Mitigation is a storage tank.\n## Budget\nThe total cost is USD 50,000. Drilling costs $30,000.";
    const seg = segment(parsePlan("wells", plan));
    const full = scoreFeasibility(
      seg,
      detectMonetary(seg.sentences),
      detectResponsibilities(seg.sentences),
    );
    expect(full.components.map((c) => [c.name, c.points])).toEqual([
      ["budget", 25],
      ["budget_consistency", 15],
      ["currencies", 10],
      ["ownership", 25],
      ["timeline", 15],
      ["risk", 10],
    ]);
    expect(full).toMatchObject({ score: 100, grade: "high", warnings: [] });
    const bare = segment(parsePlan("bare", "# Idea\nWe would like to help people."));
    const empty = scoreFeasibility(
      bare,
      detectMonetary(bare.sentences),
      detectResponsibilities(bare.sentences),
    );
    expect(empty.score).toBe(0);
    expect(empty.grade).toBe("low");
    expect(empty.warnings).toEqual([
      "no budget figures found",
      "no one is named as responsible for any work",
      "no timeline: no dates, phases or durations found",
      "no risks identified",
    ]);
  });
});

describe("theory_of_change", () => {
  it("places a chain as activity -> output -> outcome -> impact and leaves cycles unresolved", () => {
    const chain = assignLevels(["a", "b", "c", "d"], edges(["a", "b"], ["b", "c"], ["c", "d"]));
    expect([...chain.values()]).toEqual(["activity", "output", "outcome", "impact"]);
    const loop = assignLevels(["x", "y", "z"], edges(["x", "y"], ["y", "x"], ["y", "z"]));
    expect([...loop.values()]).toEqual(["unresolved", "unresolved", "unresolved"]);
  });

  it("merges restated phrases, keeps opposite ones apart, and pins owners and costs", () => {
    const toc = buildTheoryOfChange(
      [
        link("s1", "Regular collection", "cleaner drains"),
        link("s2", "Cleaner drains", "less flooding"),
        link("s3", "Flooding", "lost trading days"),
      ],
      [
        {
          sentence: "s1",
          section: "sec1",
          actor: "Town Council",
          task: "collect waste",
          strength: "will",
        },
        { sentence: "s9", section: "sec1", actor: "Traders", task: "sort waste", strength: "will" },
      ],
      [
        {
          sentence: "s1",
          section: "sec1",
          currency: "GBP",
          amount: 1000,
          kind: "item",
          text: "£1,000",
        },
      ],
    );
    expect(toc.nodes.map((n) => [n.id, n.label, n.level, n.owners])).toEqual([
      ["n1", "Regular collection", "activity", ["Town Council"]],
      ["n2", "cleaner drains", "output", []],
      ["n3", "less flooding", "impact", []],
      ["n4", "Flooding", "activity", []],
      ["n5", "lost trading days", "outcome", []],
      ["n6", "sort waste", "activity", ["Traders"]],
    ]);
    expect(toc.nodes[0]?.costs).toEqual([{ currency: "GBP", amount: 1000 }]);
    expect(toc.edges.map((e) => `${e.from}>${e.to}`)).toEqual(["n1>n2", "n2>n3", "n4>n5"]);
  });
});

describe("dag_validation", () => {
  it("finds each cycle once, rotated to its first node, and none in a DAG", () => {
    const ids = ["a", "b", "c", "d", "e"];
    expect(
      findCycles(ids, edges(["a", "b"], ["b", "c"], ["c", "a"], ["c", "d"], ["d", "d"])),
    ).toEqual([["a", "b", "c"], ["d"]]);
    expect(findCycles(ids, edges(["a", "b"], ["b", "c"], ["a", "c"], ["d", "e"]))).toEqual([]);
    expect(longestChain(ids, edges(["a", "b"], ["b", "c"], ["a", "c"], ["d", "e"]))).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  it("reports cycles, orphans and warnings in the final summary", () => {
    const toc: TheoryOfChange = {
      ...buildTheoryOfChange(
        [
          link("s1", "poor reading", "low attendance"),
          link("s2", "low attendance", "poor reading"),
        ],
        [
          {
            sentence: "s3",
            section: "sec1",
            actor: "Coaches",
            task: "visit classes",
            strength: "shall",
          },
        ],
        [],
      ),
      budget: [],
      stats: { causalLinks: 2, assignments: 1, amounts: 0 },
    };
    const feasibility = {
      document: { name: "d", title: "D", sections: 1, sentences: 3 },
      score: 40,
      grade: "low" as const,
      components: [],
      warnings: ["no risks identified"],
    };
    const report = validate(toc, feasibility, {
      threshold: 0.75,
      pairsCompared: 3,
      contradictions: [],
    });
    expect(report.valid).toBe(false);
    expect(report.cycles).toEqual([
      { nodes: ["n1", "n2"], labels: ["poor reading", "low attendance"] },
    ]);
    expect(report.orphans).toEqual([{ id: "n3", label: "visit classes", owners: ["Coaches"] }]);
    expect(report.warnings).toEqual([
      "circular reasoning: poor reading -> low attendance -> poor reading",
      "no risks identified",
      "1 assigned tasks are not linked to any stated result",
    ]);
  });
});
