import { step } from "../../../src/index.js";
import { byText, cleanPhrase } from "../text.js";
import { embedding } from "./embedding.js";
import type { Sentence } from "./segmentation.js";

export interface Assignment {
  sentence: string;
  section: string;
  actor: string;
  task: string;
  /** "explicit" = "responsible/accountable for"; otherwise the modal verb that carries the duty */
  strength: "explicit" | "shall" | "must" | "will";
}

export interface Responsibilities {
  assignments: Assignment[];
  actors: { actor: string; tasks: number }[];
}

const EXPLICIT =
  /^(.{2,80}?)\s+(?:is|are|shall be|will be|remains?)\s+(?:responsible|accountable)\s+for\s+(.+)$/i;
// Passive ("will be trained"), negated and receiving verbs describe what happens to the subject,
// not a duty it takes on.
const MODAL =
  /^((?:(?!\b(?:shall|must|will)\b).){2,80}?)\s+(shall|must|will)\s+(?!be\s|not\s|receive\s|benefit\s|get\s)(.+)$/i;
// Lower-case subjects only count when they name a role; "The project will ..." assigns nothing.
const ROLES =
  /\b(office|officers?|ministry|department|council|committee|board|team|unit|agency|company|utility|contractor|consultant|partner|cooperatives?|associations?|coaches|teachers?|nurses|midwives|technicians|traders|staff|officer|manager|coordinator|county|government|trust)$/i;

/** The subject must look like an organisation or a role, and be short enough to be a name. */
export function actorOf(subject: string): string | null {
  const clause = cleanPhrase(subject).split(/,\s*/).at(-1) ?? subject;
  const bare = cleanPhrase(clause).replace(/^(the|a|an)\s+/i, "");
  const words = bare.split(/\s+/);
  if (bare === "" || words.length > 7 || /^(it|they|this|we|these)$/i.test(bare)) return null;
  const named =
    words.slice(1).some((w) => /^\p{Lu}/u.test(w)) || /^\p{Lu}\p{L}*\s+\p{Lu}/u.test(bare);
  if (!named && !ROLES.test(bare)) return null;
  return bare.charAt(0).toUpperCase() + bare.slice(1);
}

export function detectResponsibility(
  sentence: Pick<Sentence, "id" | "section" | "text">,
): Assignment | null {
  const text = sentence.text.replace(/[.!?]+$/, "");
  const explicit = EXPLICIT.exec(text);
  const modal = explicit ? null : MODAL.exec(text);
  const subject = explicit?.[1] ?? modal?.[1];
  const task = explicit?.[2] ?? modal?.[3];
  const actor = subject === undefined ? null : actorOf(subject);
  if (actor === null || task === undefined) return null;
  const strength = explicit
    ? "explicit"
    : ((modal?.[2] ?? "will").toLowerCase() as Assignment["strength"]);
  return {
    sentence: sentence.id,
    section: sentence.section,
    actor,
    task: cleanPhrase(task),
    strength,
  };
}

export function detectResponsibilities(
  sentences: readonly Pick<Sentence, "id" | "section" | "text">[],
): Responsibilities {
  const assignments = sentences
    .map(detectResponsibility)
    .filter((a): a is Assignment => a !== null);
  // Actors are keyed case-insensitively: "the Council" and "The Council" are one party.
  const counts = new Map<string, { actor: string; tasks: number }>();
  for (const a of assignments) {
    const key = a.actor.toLowerCase();
    const entry = counts.get(key) ?? { actor: a.actor, tasks: 0 };
    entry.tasks++;
    counts.set(key, entry);
  }
  const actors = [...counts.values()].sort((x, y) => y.tasks - x.tasks || byText(x.actor, y.actor));
  return { assignments, actors };
}

// Runs in the fan-out after embedding; it reads the sentences that the embedding output carries.
export const responsibilityDetection = step(
  "responsibility_detection",
  { after: [embedding] },
  (_ctx, deps): Responsibilities => detectResponsibilities(deps.embedding.sentences),
);
