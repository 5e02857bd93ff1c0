// Reads a runbook page (docs/runbooks/*.md) into what the runner executes: its scenario, and
// each `sh` block with the `text` block that follows it (the expected output), the exit code it
// expects and whether the scenario's fault is cleared before it. The markers are HTML comments,
// invisible on the rendered page; docs/runbooks/README.md describes them.
import { readFileSync } from "node:fs";

export interface RunbookStep {
  /** the commands, as the page shows them */
  script: string;
  /** lines the output must contain, in order; `...` matches anything within a line */
  expected: string[] | null;
  exitCode: number;
  /** `<!-- runbook: clear-fault -->` before the block: the fault is cleared first */
  clearFault: boolean;
  /** the line of the page the block starts at */
  line: number;
}

export interface RunbookPage {
  file: string;
  scenario: string;
  steps: RunbookStep[];
}

const fence = /^```(\w*)\s*$/;

export function readRunbook(file: string): RunbookPage {
  const lines = readFileSync(file, "utf8").split("\n");
  const scenario = /<!-- runbook: scenario ([\w-]+) -->/.exec(lines.join("\n"))?.[1];
  if (!scenario) throw new Error(`${file}: no <!-- runbook: scenario NAME --> marker`);
  const steps: RunbookStep[] = [];
  let exitCode = 0;
  let clearFault = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const exit = /^<!-- runbook: exit (\d+) -->$/.exec(line);
    if (exit) exitCode = Number(exit[1]);
    if (line === "<!-- runbook: clear-fault -->") clearFault = true;
    const open = fence.exec(line);
    if (!open) continue;
    const [body, end] = blockAt(lines, i);
    if (open[1] === "sh") {
      const step: RunbookStep = {
        script: body.join("\n"),
        expected: null,
        exitCode,
        clearFault,
        line: i + 1,
      };
      // the next block, if it is text with nothing but blank lines between, is the expected output
      let j = end + 1;
      while (j < lines.length && lines[j]!.trim() === "") j++;
      if (fence.exec(lines[j] ?? "")?.[1] === "text") {
        const [expected, after] = blockAt(lines, j);
        step.expected = expected.filter((l) => l.trim() !== "");
        i = after;
      } else i = end;
      steps.push(step);
      exitCode = 0;
      clearFault = false;
    } else i = end;
  }
  return { file, scenario, steps };
}

function blockAt(lines: string[], start: number): [string[], number] {
  const body: string[] = [];
  let i = start + 1;
  for (; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
  return [body, i];
}

/** Each expected line, in order, somewhere in the output; `...` stands for any text in a line. */
export function matchOutput(expected: readonly string[], output: string): string | null {
  const actual = output.split("\n");
  let at = 0;
  for (const want of expected) {
    const pattern = new RegExp(`^${want.trim().split("...").map(escape).join(".*")}$`);
    while (at < actual.length && !pattern.test(actual[at]!.trim())) at++;
    if (at === actual.length) return want;
    at++;
  }
  return null;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
