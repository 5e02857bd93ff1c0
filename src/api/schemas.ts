import * as z from "zod";
import { namePattern } from "../core/dag.js";
import { parseSince } from "../core/duration.js";
import { runStatuses } from "../core/status.js";

/** Schemas shared by the operations. Query values arrive as strings over HTTP; these accept both. */
export const runId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, "a run id, e.g. run_01JD5V1Q8N3X0Q5V8M2C4B6A9Z");

export const sourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a source name: letters, digits, . _ -");

export const stepName = z.string().regex(namePattern, "a step name: 1-64 letters, digits, _ . -");

/** a reason or a note: trimmed, not empty, under 1000 characters */
export const text = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(1000, "keep it under 1000 characters");

/** `since`: 30m, 24h, 7d or an ISO time; becomes epoch ms */
export const since = z.string().transform((value, ctx) => {
  try {
    return parseSince(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: (error as Error).message });
    return z.NEVER;
  }
});

export const limit = (max: number, fallback: number) =>
  z.coerce
    .number({ message: `a whole number from 1 to ${max}` })
    .int(`a whole number from 1 to ${max}`)
    .min(1)
    .max(max)
    .default(fallback);

export const status = z.enum(runStatuses);

export const flag = z
  .union([z.boolean(), z.enum(["true", "false", "1", "0"])])
  .transform((v) => v === true || v === "true" || v === "1");

/** a body that may be left out: nothing, null, or an object of exactly these optional fields */
export const optionalBody = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.union([z.undefined(), z.null(), z.object(shape).strict()]);

/** a token's name, API or join token alike */
export const tokenName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "1-64 letters, digits, . _ @ -");

/** the `:id` of a token route; `what` names the kind in the message */
export const tokenIdParams = (what: string) =>
  z.object({ id: z.string().regex(/^[0-9a-f]{12}$/, `${what} id: 12 hex digits`) }).strict();
