import { KeelError } from "./keel-error.js";

/** A pipeline definition that cannot run: cycle, unknown `after`, duplicate or no steps. */
export class PipelineDefinitionError extends KeelError {
  constructor(pipeline: string, message: string, details: Record<string, unknown> = {}) {
    super("invalid_pipeline", `pipeline "${pipeline}": ${message}`, {
      details: { pipeline, ...details },
    });
  }
}

/** A submit or lookup named a pipeline no node has registered. */
export class UnknownPipelineError extends KeelError {
  constructor(name: string, known: readonly string[]) {
    const hint =
      known.length > 0 ? `known pipelines: ${known.join(", ")}` : "no pipeline is registered yet";
    super(
      "unknown_pipeline",
      `unknown pipeline "${name}" (${hint}); register it with keel({ pipelines }) or the config's pipelines list`,
      {
        details: { pipeline: name, known: [...known] },
      },
    );
  }
}

/** Input from a caller (API body, CLI flag, submit argument) that keel cannot accept. */
export class InvalidInputError extends KeelError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("invalid_input", message, { details, cause });
  }
}

/** A lookup for a run, step or other record that does not exist. */
export class NotFoundError extends KeelError {
  /** `hint` says what exists instead, e.g. "known breakers: a, b" */
  constructor(what: string, id: string, hint?: string) {
    super("not_found", `${what} "${id}" not found${hint ? `; ${hint}` : ""}`, {
      details: { what, id },
    });
  }
}
