import { KeelError } from "./keel-error.js";

/** One problem an input schema found: where (`$.items[2].qty`) and what its library said. */
export interface InputIssue {
  path: string;
  message: string;
}

/**
 * A run input that the pipeline's (or a first step's) input schema refused at submit. Its code is
 * `invalid_input` (HTTP 400, CLI exit 2); `issues` names each field and the schema's message.
 * Nothing is stored.
 */
export class InputSchemaError extends KeelError {
  readonly isInputSchemaError = true;
  readonly issues: readonly InputIssue[];

  constructor(pipeline: string, where: string, issues: readonly InputIssue[]) {
    const shown = issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join("; ");
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super(
      "invalid_input",
      `run input refused by the input schema of ${where} of pipeline "${pipeline}": ${shown}${more}`,
      { details: { pipeline, schema: where, issues: issues.map((i) => ({ ...i })) } },
    );
    this.issues = issues;
  }
}

export function isInputSchemaError(value: unknown): value is InputSchemaError {
  return (
    value instanceof Error &&
    (value as { isInputSchemaError?: unknown }).isInputSchemaError === true &&
    Array.isArray((value as { issues?: unknown }).issues)
  );
}
