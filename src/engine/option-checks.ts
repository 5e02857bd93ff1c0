import { InvalidInputError } from "../core/errors/definition-errors.js";

/** Small checks shared by the option resolvers: each error names the field and what it got. */

/** `defaults` with every key `given` sets (undefined leaves the default). */
export function withDefaults<T extends object>(
  defaults: T,
  given: { [K in keyof T]?: T[K] | undefined },
): T {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const value = given[key];
    if (value !== undefined) out[key] = value as T[keyof T];
  }
  return out;
}

export function checkWhole(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new InvalidInputError(
      `${field} must be a whole number from ${min} to ${max}, got ${String(value)}`,
      { field },
    );
}

/** A finite number in [min, max]. */
export function checkNumber(field: string, value: number, min: number, max: number): void {
  checkFinite(field, value, { min, max, aboveMin: false });
}

/** A finite number in (min, max]: above min, at most max. */
export function checkAbove(field: string, value: number, min: number, max: number): void {
  checkFinite(field, value, { min, max, aboveMin: true });
}

function checkFinite(
  field: string,
  value: number,
  { min, max, aboveMin }: { min: number; max: number; aboveMin: boolean },
): void {
  const low = aboveMin ? value > min : value >= min;
  if (typeof value !== "number" || !Number.isFinite(value) || !low || value > max)
    throw new InvalidInputError(
      `${field} must be a number ${aboveMin ? "above" : "from"} ${min} ${aboveMin ? "and at most" : "to"} ${max}, got ${String(value)}`,
      { field },
    );
}
