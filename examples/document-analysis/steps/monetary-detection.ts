import { step } from "../../../src/index.js";
import { byText, toNumber } from "../text.js";
import { embedding } from "./embedding.js";
import type { Sentence } from "./segmentation.js";

export interface Amount {
  sentence: string;
  section: string;
  currency: string;
  amount: number;
  /** "total" = a stated overall figure; "recurring" = per month/year/unit; "item" = a line of the budget */
  kind: "total" | "item" | "recurring";
  text: string;
}

/** Per currency, never converted: there is no honest offline exchange rate. */
export interface CurrencyTotal {
  currency: string;
  stated: number;
  itemised: number;
  recurring: number;
  mentions: number;
}

export interface MonetaryFindings {
  amounts: Amount[];
  totals: CurrencyTotal[];
  bySection: { section: string; currency: string; stated: number; itemised: number }[];
}

const SYMBOLS: Readonly<Record<string, string>> = {
  $: "USD",
  US$: "USD",
  "€": "EUR",
  "£": "GBP",
  "₹": "INR",
  "¥": "JPY",
  R: "ZAR",
  KSh: "KES",
};
const WORDS: Readonly<Record<string, string>> = {
  dollars: "USD",
  euros: "EUR",
  pounds: "GBP",
  rupees: "INR",
};
const CODES = "USD|EUR|GBP|INR|KES|ZAR|CHF|JPY|UGX|TZS|NGN|XOF|CAD|AUD";
const NUMBER = String.raw`(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?`;
const SCALE = String.raw`(?:\s*(thousand|million|billion|mn|bn|m|k)\b)?`;
// Both spellings in one regex so matches never overlap: "$1.2 million", "USD 300,000" | "300,000 USD".
const MONEY = new RegExp(
  String.raw`(US\$|KSh|[$€£₹¥]|\bR(?=\d)|\b(?:${CODES})\b)\s?${NUMBER}${SCALE}|\b${NUMBER}${SCALE}\s?(${CODES}|dollars|euros|pounds|rupees)\b`,
  "g",
);
const RECURRING =
  /^\s*(?:per|a|each|every)\s+(?:month|year|annum|week|day|kwh|unit|household|person|student)\b/i;
const TOTAL =
  /\b(?:total|overall|altogether)\b|\b(?:programme|program|project|plan|capital)\s+costs?\b/i;

export function findAmounts(text: string): Omit<Amount, "sentence" | "section">[] {
  const found = [...text.matchAll(MONEY)];
  return found.map((m) => {
    const prefixed = m[1] !== undefined;
    const unit = (prefixed ? m[1] : m[8]) ?? "";
    const currency = SYMBOLS[unit] ?? WORDS[unit.toLowerCase()] ?? unit.toUpperCase();
    const amount = prefixed
      ? toNumber(`${m[2] ?? ""}${m[3] ?? ""}`, m[4])
      : toNumber(`${m[5] ?? ""}${m[6] ?? ""}`, m[7]);
    const after = text.slice(m.index + m[0].length);
    // "total" only when the sentence states one figure: "total X, of which Y" needs a reader.
    const kind = RECURRING.test(after)
      ? "recurring"
      : TOTAL.test(text) && found.length === 1
        ? "total"
        : "item";
    return { currency, amount, kind, text: m[0].trim() };
  });
}

const add = (a: number, b: number): number => Math.round((a + b) * 100) / 100;

export function detectMonetary(
  sentences: readonly Pick<Sentence, "id" | "section" | "text">[],
): MonetaryFindings {
  const amounts = sentences.flatMap((s) =>
    findAmounts(s.text).map((a) => ({ sentence: s.id, section: s.section, ...a })),
  );
  const totals = new Map<string, CurrencyTotal>();
  const bySection = new Map<string, MonetaryFindings["bySection"][number]>();
  for (const a of amounts) {
    const t = totals.get(a.currency) ?? {
      currency: a.currency,
      stated: 0,
      itemised: 0,
      recurring: 0,
      mentions: 0,
    };
    t.mentions++;
    if (a.kind === "total") t.stated = add(t.stated, a.amount);
    else if (a.kind === "item") t.itemised = add(t.itemised, a.amount);
    else t.recurring = add(t.recurring, a.amount);
    totals.set(a.currency, t);
    if (a.kind === "recurring") continue;
    const key = `${a.section} ${a.currency}`;
    const s = bySection.get(key) ?? {
      section: a.section,
      currency: a.currency,
      stated: 0,
      itemised: 0,
    };
    if (a.kind === "total") s.stated = add(s.stated, a.amount);
    else s.itemised = add(s.itemised, a.amount);
    bySection.set(key, s);
  }
  return {
    amounts,
    totals: [...totals.values()].sort((x, y) => byText(x.currency, y.currency)),
    bySection: [...bySection.values()],
  };
}

/** Currencies whose budget lines add up to more than the total the plan states for them. */
export function overspentCurrencies(totals: readonly CurrencyTotal[]): CurrencyTotal[] {
  return totals.filter((t) => t.stated > 0 && t.itemised > t.stated);
}

export const monetaryDetection = step(
  "monetary_detection",
  { after: [embedding] },
  (_ctx, deps): MonetaryFindings => detectMonetary(deps.embedding.sentences),
);
