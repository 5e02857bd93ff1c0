import { step } from "../../../src/index.js";
import { splitSentences } from "../text.js";
import { listItemOf, planProcessing, type PlanOutline } from "./plan-processing.js";

export interface Paragraph {
  id: string;
  section: string;
  kind: "text" | "list";
  text: string;
  sentences: string[];
}

export interface Sentence {
  id: string;
  paragraph: string;
  section: string;
  text: string;
}

export interface Segmentation {
  name: string;
  title: string;
  sections: { id: string; heading: string; level: number }[];
  paragraphs: Paragraph[];
  sentences: Sentence[];
}

/**
 * Paragraphs are runs of non-blank lines inside one section; each list item is a paragraph of
 * its own because "- The Council shall ..." lines are independent statements, not prose.
 */
export function segment(plan: PlanOutline): Segmentation {
  const lines = plan.text.split("\n");
  const paragraphs: Paragraph[] = [];
  const sentences: Sentence[] = [];
  const emit = (section: string, kind: Paragraph["kind"], text: string): void => {
    const id = `p${paragraphs.length + 1}`;
    const ids = splitSentences(text).map((t) => {
      const sentence = { id: `s${sentences.length + 1}`, paragraph: id, section, text: t };
      sentences.push(sentence);
      return sentence.id;
    });
    if (ids.length > 0) paragraphs.push({ id, section, kind, text, sentences: ids });
  };
  for (const section of plan.sections) {
    let prose: string[] = [];
    const flush = (): void => {
      if (prose.length > 0) emit(section.id, "text", prose.join(" "));
      prose = [];
    };
    for (const line of lines.slice(section.start, section.end)) {
      const item = line === "" ? null : listItemOf(line);
      if (line === "" || item !== null) flush();
      if (item !== null) emit(section.id, "list", item);
      else if (line !== "") prose.push(line);
    }
    flush();
  }
  return {
    name: plan.name,
    title: plan.title,
    sections: plan.sections.map(({ id, heading, level }) => ({ id, heading, level })),
    paragraphs,
    sentences,
  };
}

export const segmentation = step(
  "segmentation",
  { after: [planProcessing] },
  (_ctx, deps): Segmentation => segment(deps.plan_processing),
);
