import { redactPathText } from "../engine/redact-paths.js";

/**
 * An API answer under security.path_redaction: every path keel itself puts there (error messages
 * and stacks, health and status details, the home) is cut to `…/<file name>`. What a user gave or
 * a step returned (`input`, `output`, `idempotency_key`) is data, returned as it is stored.
 */
const USER_DATA = new Set(["input", "output", "idempotency_key"]);

export function redactOutput<T>(value: T): T {
  return redact(value) as T;
}

// the API's own routes, quoted in its messages ("no route GET /v1/x"), are not the machine's
const API_ROUTE = /(\/v1\/[^\s"'`]*|\/health\b)/;

function redactText(text: string): string {
  return text
    .split(API_ROUTE)
    .map((part, i) => (i % 2 === 1 ? part : redactPathText(part)))
    .join("");
}

function redact(value: unknown): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(redact);
  // a Date or Buffer is not the plain JSON this is for: leave it to the serializer
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = USER_DATA.has(key) ? v : redact(v);
  return out;
}
