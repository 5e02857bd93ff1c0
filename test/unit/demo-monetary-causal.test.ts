import { describe, expect, it } from "vitest";
import {
  detectCausal,
  detectCausalLinks,
} from "../../examples/document-analysis/steps/causal-detection.js";
import {
  detectMonetary,
  findAmounts,
  overspentCurrencies,
} from "../../examples/document-analysis/steps/monetary-detection.js";

const s = (id: string, text: string, section = "sec1", paragraph = "p1") => ({
  id,
  section,
  paragraph,
  text,
});

describe("monetary_detection", () => {
  it("parses symbols, codes before and after, scales and words", () => {
    const found = findAmounts(
      "We need $1.2 million, USD 300,000, €45,000, 2,500 EUR, £3m, R7,200,000 and 40 thousand dollars.",
    );
    expect(found.map((a) => [a.currency, a.amount, a.text])).toEqual([
      ["USD", 1200000, "$1.2 million"],
      ["USD", 300000, "USD 300,000"],
      ["EUR", 45000, "€45,000"],
      ["EUR", 2500, "2,500 EUR"],
      ["GBP", 3000000, "£3m"],
      ["ZAR", 7200000, "R7,200,000"],
      ["USD", 40000, "40 thousand dollars"],
    ]);
  });

  it("tells totals, budget lines and recurring costs apart and totals them per currency and section", () => {
    const m = detectMonetary([
      s("s1", "The total budget is USD 1,000,000.", "sec4"),
      s("s2", "Works cost $780,000 and equipment $265,000.", "sec4"),
      s("s3", "Stipends are €50 per month.", "sec5"),
      s("s4", "A grant of €60,000.50 covers training.", "sec5"),
    ]);
    expect(m.amounts.map((a) => a.kind)).toEqual(["total", "item", "item", "recurring", "item"]);
    expect(m.totals).toEqual([
      { currency: "EUR", stated: 0, itemised: 60000.5, recurring: 50, mentions: 2 },
      { currency: "USD", stated: 1000000, itemised: 1045000, recurring: 0, mentions: 3 },
    ]);
    expect(m.bySection).toEqual([
      { section: "sec4", currency: "USD", stated: 1000000, itemised: 1045000 },
      { section: "sec5", currency: "EUR", stated: 0, itemised: 60000.5 },
    ]);
    expect(overspentCurrencies(m.totals).map((t) => t.currency)).toEqual(["USD"]);
  });
});

describe("causal_detection", () => {
  it("reads forward, backward and leading-clause links", () => {
    expect(
      detectCausal(s("s1", "Fewer leaks result in more treated water reaching homes.")),
    ).toEqual([
      {
        sentence: "s1",
        section: "sec1",
        marker: "result in",
        cause: "Fewer leaks",
        effect: "more treated water reaching homes",
      },
    ]);
    expect(detectCausal(s("s2", "Children drop out because they fall behind."))[0]).toMatchObject({
      cause: "they fall behind",
      effect: "Children drop out",
    });
    expect(
      detectCausal(
        s("s3", "Because households spend less on kerosene, disposable income increases."),
      )[0],
    ).toMatchObject({
      cause: "households spend less on kerosene",
      effect: "disposable income increases",
    });
  });

  it("chains markers inside one sentence and carries the direction of 'reduces'", () => {
    const links = detectCausal(
      s(
        "s1",
        "The ambulance link reduces delays in referral, which results in fewer neonatal deaths.",
      ),
    );
    expect(links.map((l) => [l.cause, l.effect])).toEqual([
      ["The ambulance link", "reduced delays in referral"],
      ["reduced delays in referral", "fewer neonatal deaths"],
    ]);
  });

  it("links a sentence-initial 'Therefore' to the previous sentence of the same paragraph only", () => {
    const { links } = detectCausalLinks([
      s("s1", "Pumps fail often."),
      s("s2", "Therefore, repairs are budgeted."),
      s("s3", "Therefore, more.", "sec1", "p2"),
    ]);
    expect(links).toEqual([
      {
        sentence: "s2",
        section: "sec1",
        marker: "therefore",
        cause: "Pumps fail often",
        effect: "repairs are budgeted",
      },
    ]);
  });
});
