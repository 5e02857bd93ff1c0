import { InputSchemaError, type InputIssue } from "./errors/input-schema-error.js";
import { PermanentError } from "./errors/permanent-error.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/**
 * Input schemas at work: a pipeline's and its first steps' Standard Schemas check a run's input
 * at submit (nothing is stored when one refuses it), and a step's schema gives the step its own
 * output of the input (defaults filled in, strings coerced) when it runs.
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as { "~standard"?: { version?: unknown; validate?: unknown } } | null)?.[
    "~standard"
  ];
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    props?.version === 1 &&
    typeof props.validate === "function"
  );
}

/** The schema's output for `value`, or its issues with each path written as `$.a[2].b`. */
export async function applySchema(
  schema: StandardSchemaV1,
  value: unknown,
): Promise<{ ok: true; value: unknown } | { ok: false; issues: InputIssue[] }> {
  const result = await schema["~standard"].validate(value);
  if (!result.issues) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: result.issues.map((issue) => ({ path: pathText(issue.path), message: issue.message })),
  };
}

function pathText(path: StandardSchemaV1.Issue["path"]): string {
  let text = "$";
  for (const segment of path ?? []) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) text += `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** What the schemas of a pipeline and of its first steps check at submit. */
export interface InputSchemas {
  pipeline: string;
  input: StandardSchemaV1 | undefined;
  steps: readonly { name: string; after: readonly string[]; input: StandardSchemaV1 | undefined }[];
}

/**
 * Checks a run's input at submit and returns what to store: the pipeline schema's output (or the
 * input as given without one). Each first step's schema must accept that too.
 */
export async function checkRunInput(p: InputSchemas, input: unknown): Promise<unknown> {
  let value = input;
  if (p.input) {
    const result = await applySchema(p.input, input);
    if (!result.ok) throw new InputSchemaError(p.pipeline, "the pipeline", result.issues);
    value = result.value;
  }
  for (const s of p.steps) {
    if (!s.input || s.after.length > 0) continue;
    const result = await applySchema(s.input, value);
    if (!result.ok) throw new InputSchemaError(p.pipeline, `step "${s.name}"`, result.issues);
  }
  return value;
}

/**
 * A step's input as its schema outputs it, when it runs. Submit checked it already, so a refusal
 * here means the run was submitted by pipeline name to a process without the definition, or
 * before the schema changed: retrying cannot help.
 */
export async function stepInput(
  step: { name: string; input: StandardSchemaV1 | undefined },
  input: unknown,
): Promise<unknown> {
  if (!step.input) return input;
  const result = await applySchema(step.input, input);
  if (result.ok) return result.value;
  const shown = result.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  throw new PermanentError(
    `step "${step.name}" input refused by its schema: ${shown}`,
    "invalid_input",
    {
      details: { issues: result.issues },
    },
  );
}
