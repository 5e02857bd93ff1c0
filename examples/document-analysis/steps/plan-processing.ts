import { step } from "../../../src/index.js";
import { sanitization } from "./sanitization.js";

export interface PlanSection {
  id: string;
  heading: string;
  level: number;
  /** first content line (0-based, into text.split("\n")), heading excluded */
  start: number;
  /** one past the last content line */
  end: number;
}

export interface PlanOutline {
  name: string;
  text: string;
  title: string;
  sections: PlanSection[];
  listItems: { section: string; line: number; text: string }[];
}

const LIST_ITEM = /^(?:[-*•–]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+(.+)$/u;

/**
 * Plans arrive as Markdown ("## Budget"), as typed-up memos ("BUDGET") or as forms
 * ("Budget:"), so all three count; a short line is required so that a sentence that merely
 * ends in a colon is not mistaken for a heading.
 */
export function headingOf(line: string): { level: number; text: string } | null {
  const md = /^(#{1,6})\s+(.+?)\s*#*$/.exec(line);
  if (md) return { level: md[1]?.length ?? 1, text: md[2] ?? "" };
  if (LIST_ITEM.test(line)) return null;
  const wordCount = line.split(/\s+/).length;
  // Mostly letters, so that a line like "USD 10,000." is not read as a shouted heading.
  const letters = (line.match(/\p{L}/gu) ?? []).length / line.replace(/\s/g, "").length;
  if (
    line.length <= 60 &&
    wordCount <= 8 &&
    letters >= 0.6 &&
    !/[.!?]$/.test(line) &&
    !/\p{Ll}/u.test(line)
  ) {
    return { level: 2, text: line.replace(/:$/, "") };
  }
  if (line.length <= 40 && wordCount <= 4 && /^\p{Lu}[^.!?]*:$/u.test(line))
    return { level: 3, text: line.slice(0, -1) };
  return null;
}

export function listItemOf(line: string): string | null {
  return LIST_ITEM.exec(line)?.[1] ?? null;
}

export function parsePlan(name: string, text: string): PlanOutline {
  const lines = text.split("\n");
  const sections: PlanSection[] = [];
  const listItems: PlanOutline["listItems"] = [];
  let title = "";
  let headings = 0;
  let open: PlanSection | null = null;
  lines.forEach((line, i) => {
    const heading = line === "" ? null : headingOf(line);
    if (heading) {
      if (open) open.end = i;
      if (title === "" && heading.level <= 2) title = heading.text;
      open = {
        id: `sec${++headings}`,
        heading: heading.text,
        level: heading.level,
        start: i + 1,
        end: lines.length,
      };
      sections.push(open);
      return;
    }
    if (line === "") return;
    // Text before any heading still belongs somewhere: an untitled preamble section.
    if (!open) {
      open = { id: "sec0", heading: "(preamble)", level: 1, start: i, end: lines.length };
      sections.push(open);
    }
    const item = listItemOf(line);
    if (item !== null) listItems.push({ section: open.id, line: i, text: item });
  });
  const preamble = sections[0]?.id === "sec0" ? sections[0] : undefined;
  if (title === "" && preamble) {
    // An untitled memo's first line is its title, not content to analyse.
    title = (lines[preamble.start] ?? name).slice(0, 80);
    preamble.start++;
  }
  if (title === "") title = sections[0]?.heading ?? name;
  return { name, text, title, sections, listItems };
}

export const planProcessing = step(
  "plan_processing",
  { after: [sanitization] },
  (ctx, deps): PlanOutline => {
    const outline = parsePlan(deps.sanitization.name, deps.sanitization.text);
    ctx.log.debug(
      { sections: outline.sections.length, listItems: outline.listItems.length },
      "plan outline",
    );
    return outline;
  },
);
