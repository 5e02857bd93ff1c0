import * as z from "zod";

/**
 * Every error the API returns: `{ "error": { "code", "message", "details" } }`. `details` is the
 * error's own (the issues of bad input, the role a route needs...), passed through as raised.
 */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export function errorBody(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return { error: { code, message, details } };
}

export const errorSchema = z.strictObject({
  error: z.strictObject({
    code: z.string().min(1),
    message: z.string().min(1),
    details: z.record(z.string(), z.unknown()),
  }),
});
