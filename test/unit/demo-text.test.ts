import { describe, expect, it } from "vitest";
import { embedText } from "../../examples/document-analysis/steps/embedding.js";
import { headingOf, parsePlan } from "../../examples/document-analysis/steps/plan-processing.js";
import {
  sanitizeDocument,
  sanitizeText,
} from "../../examples/document-analysis/steps/sanitization.js";
import { segment } from "../../examples/document-analysis/steps/segmentation.js";
import {
  cosine,
  fnv1a,
  isNegated,
  jaccard,
  numbersIn,
  round,
  splitSentences,
} from "../../examples/document-analysis/text.js";

describe("document-analysis text helpers", () => {
  it("hashes with the published FNV-1a 32-bit vectors", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("rounds without leaving -0 behind", () => {
    expect(round(0.123456789, 4)).toBe(0.1235);
    expect(Object.is(round(-0.000001, 4), 0)).toBe(true);
  });

  it("splits sentences but not on decimals, abbreviations or initials", () => {
    const text =
      "The budget is $1.2 million, e.g. for pipes. Dr. Okafor and J. Mwangi lead it! Is it enough? yes.";
    expect(splitSentences(text)).toEqual([
      "The budget is $1.2 million, e.g. for pipes.",
      "Dr. Okafor and J. Mwangi lead it!",
      "Is it enough? yes.",
    ]);
  });

  it("reads numbers with thousands separators and spelled-out scales", () => {
    expect(numbersIn("Serve 12,000 homes for 1.2 million people in 2026 at 0.35 each")).toEqual([
      12000, 1200000, 2026, 0.35,
    ]);
  });

  it("spots negation and measures overlap", () => {
    expect(isNegated("Teachers will not receive training")).toBe(true);
    expect(isNegated("The plan won't slip")).toBe(true);
    expect(isNegated("Notable progress was made")).toBe(false);
    expect(jaccard(["a", "b"], ["b", "c"])).toBeCloseTo(1 / 3, 10);
  });
});

describe("sanitization", () => {
  it("normalises to NFC, strips control and format characters, collapses whitespace", () => {
    const raw = "\ufeffCaf\u0065\u0301\u00a0 menu\t\tlist\u0007\r\n\r\n\r\n\r\nNext\u200b line  \f";
    const out = sanitizeText(raw);
    expect(out.text).toBe("Café menu list\n\nNext line");
    expect(out.text.normalize("NFC")).toBe(out.text);
    expect(out).toMatchObject({ controlChars: 1, formatChars: 2 });
  });

  it("reports sizes before and after", () => {
    const doc = sanitizeDocument({ name: " plan ", text: "  Héllo\u0000 world  " });
    expect(doc).toEqual({
      name: "plan",
      text: "Héllo world",
      bytesIn: 17,
      bytesOut: 12,
      lines: 1,
      removed: { controlChars: 1, formatChars: 0 },
    });
  });
});

describe("plan_processing", () => {
  it("recognises Markdown, all-caps and form-style headings, but not sentences or list items", () => {
    expect(headingOf("## 4. Budget")).toEqual({ level: 2, text: "4. Budget" });
    expect(headingOf("RISKS AND MITIGATION")).toEqual({ level: 2, text: "RISKS AND MITIGATION" });
    expect(headingOf("Roles and responsibilities:")).toEqual({
      level: 3,
      text: "Roles and responsibilities",
    });
    expect(headingOf("The following partners will take part in the work:")).toBeNull();
    expect(headingOf("- USD")).toBeNull();
  });

  it("finds the title, sections with line ranges and list items", () => {
    const plan = parsePlan(
      "p",
      "# Well Project\nIntro text.\n\n## Tasks\n- Dig wells.\n2) Train staff.\n\nBUDGET\nUSD 10,000.",
    );
    expect(plan.title).toBe("Well Project");
    expect(plan.sections.map((s) => [s.id, s.heading, s.level, s.start, s.end])).toEqual([
      ["sec1", "Well Project", 1, 1, 3],
      ["sec2", "Tasks", 2, 4, 7],
      ["sec3", "BUDGET", 2, 8, 9],
    ]);
    expect(plan.listItems).toEqual([
      { section: "sec2", line: 4, text: "Dig wells." },
      { section: "sec2", line: 5, text: "Train staff." },
    ]);
  });

  it("uses the first line of an untitled memo as its title and keeps it out of the content", () => {
    const plan = parsePlan("memo", "Clinic upgrade memo\nWe need beds.\n\nCosts:\nBeds cost $500.");
    expect(plan.title).toBe("Clinic upgrade memo");
    expect(plan.sections.map((s) => [s.id, s.heading, s.start])).toEqual([
      ["sec0", "(preamble)", 1],
      ["sec1", "Costs", 4],
    ]);
  });
});

describe("segmentation", () => {
  it("makes paragraphs from prose runs and one per list item, with sentence ids", () => {
    const plan = parsePlan(
      "p",
      "# T\nFirst one. Second\none.\n\n## Tasks\n- Dig pits. Then fill them.\n- Plant trees.",
    );
    const seg = segment(plan);
    expect(seg.paragraphs.map((p) => [p.id, p.section, p.kind, p.sentences])).toEqual([
      ["p1", "sec1", "text", ["s1", "s2"]],
      ["p2", "sec2", "list", ["s3", "s4"]],
      ["p3", "sec2", "list", ["s5"]],
    ]);
    expect(seg.sentences[1]).toEqual({
      id: "s2",
      paragraph: "p1",
      section: "sec1",
      text: "Second one.",
    });
  });
});

describe("embedding", () => {
  it("gives unit-length 64-dim vectors that ignore numbers and negation", () => {
    const a = embedText("The new pipeline will serve 12,000 households.");
    const b = embedText("The new pipeline will not serve 9,500 households.");
    const c = embedText("Coaching visits improve reading fluency in classrooms.");
    expect(a.vector).toHaveLength(64);
    expect(a.terms).toBe(4);
    expect(Math.hypot(...a.vector)).toBeCloseTo(1, 4);
    expect(cosine(a.vector, b.vector)).toBeCloseTo(1, 4);
    expect(cosine(a.vector, c.vector)).toBeLessThan(0.5);
    expect(embedText("The new pipeline will serve 12,000 households.")).toEqual(a);
    expect(a.vector.every((v) => Number.isFinite(v) && round(v, 5) === v)).toBe(true);
  });

  it("leaves a sentence without content words as a zero vector, not NaN", () => {
    expect(embedText("It is 42.")).toEqual({ terms: 0, vector: new Array(64).fill(0) });
  });
});
