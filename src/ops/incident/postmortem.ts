/**
 * The archive's postmortem.md: a template with its timeline already written from the transitions
 * of the window (run and step changes, oldest first), for the people who write the rest.
 */
export interface TimelineEntry {
  at: string | null;
  run_id: string;
  step: string | null;
  from: string | null;
  to: string;
  reason: string;
  actor: string;
}

const timelineRows = 500;

export function postmortem(input: {
  capturedAt: string;
  since: string;
  runs: string[];
  transitions: TimelineEntry[];
  audit: {
    at: string | null;
    actor: string;
    action: string;
    target: string | null;
    reason: string | null;
  }[];
}): string {
  const { transitions } = input;
  const shown = transitions.slice(-timelineRows);
  const quarantined = transitions.filter((t) => t.step === null && t.to === "quarantined").length;
  const lines = [
    "# Post-mortem",
    "",
    `Captured ${input.capturedAt}; window from ${input.since}.`,
    input.runs.length > 0 ? `Runs named: ${input.runs.join(", ")}.` : "No run was named.",
    "",
    "## Summary",
    "",
    "_What happened, in two sentences._",
    "",
    "## Impact",
    "",
    `- transitions in the window: ${transitions.length}; runs quarantined: ${quarantined}`,
    "- _who or what was affected, for how long_",
    "",
    "## Timeline (UTC, from the transitions)",
    "",
    ...(transitions.length > shown.length
      ? [
          `The last ${shown.length} of ${transitions.length}; all of them are in transitions.json.`,
          "",
        ]
      : []),
    "| at | run | step | change | reason | actor |",
    "| --- | --- | --- | --- | --- | --- |",
    ...shown.map(
      (t) =>
        `| ${t.at ?? ""} | ${t.run_id} | ${t.step ?? "(run)"} | ${t.from ?? "-"} -> ${t.to} | ${t.reason} | ${t.actor} |`,
    ),
    "",
    "## Operator actions (audit log)",
    "",
    ...(input.audit.length === 0
      ? ["None in the window."]
      : input.audit.map(
          (a) =>
            `- ${a.at ?? ""} ${a.actor}: ${a.action} ${a.target ?? ""}${a.reason ? ` (${a.reason})` : ""}`,
        )),
    "",
    "## Root cause",
    "",
    "_Why it happened._",
    "",
    "## What we change",
    "",
    "- _action, owner, date_",
    "",
  ];
  return lines.join("\n");
}
