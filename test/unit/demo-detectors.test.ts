import { describe, expect, it } from "vitest";
import {
  compareSentences,
  detectContradictions,
} from "../../examples/document-analysis/steps/contradiction-detection.js";
import { embedSentences } from "../../examples/document-analysis/steps/embedding.js";
import {
  actorOf,
  detectResponsibilities,
  detectResponsibility,
} from "../../examples/document-analysis/steps/responsibility-detection.js";

const s = (id: string, text: string, section = "sec1", paragraph = "p1") => ({
  id,
  section,
  paragraph,
  text,
});

describe("responsibility_detection", () => {
  it("reads explicit and modal duties and names the actor", () => {
    expect(
      detectResponsibility(
        s("s1", "The District Education Office is responsible for selecting schools."),
      ),
    ).toEqual({
      sentence: "s1",
      section: "sec1",
      actor: "District Education Office",
      task: "selecting schools",
      strength: "explicit",
    });
    expect(
      detectResponsibility(s("s2", "The contractor shall replace 32 km of mains.")),
    ).toMatchObject({ actor: "Contractor", task: "replace 32 km of mains", strength: "shall" });
    expect(
      detectResponsibility(
        s("s3", "The implementing partner, Bright Pages Trust, is accountable for printing."),
      )?.actor,
    ).toBe("Bright Pages Trust");
  });

  it("ignores things that are not parties, passives and negations", () => {
    expect(detectResponsibility(s("s1", "The project will reduce household costs."))).toBeNull();
    expect(
      detectResponsibility(s("s2", "Local technicians will be trained to replace meters.")),
    ).toBeNull();
    expect(detectResponsibility(s("s3", "Teachers will not receive training."))).toBeNull();
    expect(actorOf("it")).toBeNull();
    expect(actorOf("Parent associations")).toBe("Parent associations");
  });

  it("counts tasks per actor case-insensitively", () => {
    const r = detectResponsibilities([
      s("s1", "The Council will approve the tariff."),
      s("s2", "The council shall publish the budget."),
      s("s3", "Nurses will mentor staff."),
    ]);
    expect(r.actors).toEqual([
      { actor: "Council", tasks: 2 },
      { actor: "Nurses", tasks: 1 },
    ]);
  });
});

describe("contradiction_detection", () => {
  it("flags near-identical sentences whose numbers differ or whose polarity flips", () => {
    const sentences = embedSentences({
      sentences: [
        s("s1", "The new pipeline will serve 12,000 households by 2026."),
        s("s2", "Coaching visits improve reading fluency in classrooms."),
        s("s3", "The new pipeline will serve 9,500 households by 2026."),
        s("s4", "The new pipeline will not serve households by 2026."),
      ],
    });
    const found = detectContradictions(sentences);
    expect(found.pairsCompared).toBe(6);
    expect(found.contradictions.map((c) => [c.a, c.b, c.reason, c.detail])).toEqual([
      ["s1", "s3", "numbers", "2026, 12000 vs 2026, 9500"],
      ["s1", "s4", "negation", "only the second sentence is negated"],
      ["s3", "s4", "negation", "only the second sentence is negated"],
    ]);
    expect(found.contradictions[0]?.similarity).toBe(1);
  });

  it("does not flag the same figure written two ways", () => {
    expect(
      compareSentences(
        { text: "It costs $1.2 million.", vector: [] },
        { text: "It costs 1,200,000 dollars.", vector: [] },
      ),
    ).toBeNull();
  });
});
