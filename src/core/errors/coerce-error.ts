import { KeelError } from "./keel-error.js";

/** What a step threw, when it was not an Error: a string, a number, an object, undefined. */
export class NonErrorThrownError extends KeelError {
  readonly thrown: unknown;
  constructor(thrown: unknown) {
    super("non_error_thrown", `a step threw a non-Error value: ${describe(thrown)}`, {
      retryable: true,
      details: { thrownType: thrown === null ? "null" : typeof thrown },
    });
    this.thrown = thrown;
  }
}

function describe(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    // circular or otherwise unserializable: fall through to String()
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The one place where anything user code throws becomes an Error with a message. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new NonErrorThrownError(value);
}
