import { step } from "../../../src/index.js";
import {
  monetaryDetection,
  overspentCurrencies,
  type MonetaryFindings,
} from "./monetary-detection.js";
import { responsibilityDetection, type Responsibilities } from "./responsibility-detection.js";
import { segmentation, type Segmentation } from "./segmentation.js";

export interface Component {
  name: "budget" | "budget_consistency" | "currencies" | "ownership" | "timeline" | "risk";
  points: number;
  max: number;
  note: string;
}

export interface Feasibility {
  document: { name: string; title: string; sections: number; sentences: number };
  score: number;
  grade: "high" | "medium" | "low";
  components: Component[];
  warnings: string[];
}

const TIME =
  /\b(?:19|20)\d{2}\b|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b|\b(?:quarter|phase|within \w+ (?:weeks|months|years))\b|\b\w+ (?:weeks|months|years) from\b/i;
const RISK = /\brisks?\b|\bmitigat/i;

const scaled = (count: number, enough: number, max: number): number =>
  Math.round((Math.min(count, enough) / enough) * max);
const fmt = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * A checklist a programme officer would run before reading a plan closely: is there money, does
 * it add up, who owns the work, is there a timeline, are risks named. It says nothing about
 * whether the plan is wise; it says whether it is complete enough to judge.
 */
export function scoreFeasibility(
  seg: Segmentation,
  money: MonetaryFindings,
  duties: Responsibilities,
): Feasibility {
  const warnings: string[] = [];
  const hasStated = money.totals.some((t) => t.stated > 0);
  const components: Component[] = [];
  components.push({
    name: "budget",
    max: 25,
    points: hasStated ? 25 : money.amounts.length > 0 ? 15 : 0,
    note: hasStated
      ? "states a total budget"
      : money.amounts.length > 0
        ? "has costs but no stated total"
        : "no amounts found",
  });
  if (money.amounts.length === 0) warnings.push("no budget figures found");
  const over = overspentCurrencies(money.totals);
  for (const t of over)
    warnings.push(
      `${t.currency} budget lines add up to ${fmt(t.itemised)}, more than the stated total of ${fmt(t.stated)}`,
    );
  // Consistency is only earned by a budget that exists: an empty plan must not score for it.
  const consistency = over.length > 0 ? 0 : hasStated ? 15 : money.amounts.length > 0 ? 8 : 0;
  const why =
    over.length > 0
      ? `lines exceed the total in ${over.map((t) => t.currency).join(", ")}`
      : hasStated
        ? "lines fit within the total"
        : "no stated total to check lines against";
  components.push({ name: "budget_consistency", max: 15, points: consistency, note: why });
  const currencies = money.totals.map((t) => t.currency);
  if (currencies.length > 1)
    warnings.push(
      `amounts in ${currencies.length} currencies (${currencies.join(", ")}) cannot be added up without exchange rates`,
    );
  components.push({
    name: "currencies",
    max: 10,
    points: [0, 10, 6][currencies.length] ?? 2,
    note: `${currencies.length} currencies`,
  });
  const explicit = duties.assignments.filter((a) => a.strength === "explicit").length;
  components.push({
    name: "ownership",
    max: 25,
    points: scaled(duties.actors.length, 4, 20) + (explicit > 0 ? 5 : 0),
    note: `${duties.actors.length} responsible parties, ${explicit} explicit`,
  });
  if (duties.actors.length === 0) warnings.push("no one is named as responsible for any work");
  const dated = seg.sentences.filter((s) => TIME.test(s.text)).length;
  components.push({
    name: "timeline",
    max: 15,
    points: scaled(dated, 3, 15),
    note: `${dated} sentences with dates or durations`,
  });
  if (dated === 0) warnings.push("no timeline: no dates, phases or durations found");
  const risky = seg.sentences.filter((s) => RISK.test(s.text)).length;
  components.push({
    name: "risk",
    max: 10,
    points: scaled(risky, 2, 10),
    note: `${risky} sentences about risk`,
  });
  if (risky === 0) warnings.push("no risks identified");
  const score = components.reduce((sum, c) => sum + c.points, 0);
  return {
    document: {
      name: seg.name,
      title: seg.title,
      sections: seg.sections.length,
      sentences: seg.sentences.length,
    },
    score,
    grade: score >= 75 ? "high" : score >= 50 ? "medium" : "low",
    components,
    warnings,
  };
}

export const feasibilityScoring = step(
  "feasibility_scoring",
  { after: [responsibilityDetection, monetaryDetection, segmentation] },
  (_ctx, deps): Feasibility =>
    scoreFeasibility(deps.segmentation, deps.monetary_detection, deps.responsibility_detection),
);
