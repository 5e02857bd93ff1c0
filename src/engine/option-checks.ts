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

/** A finite number in [min, max], or in (min, max] when `aboveMin`. */
export function checkNumber(
  field: string,
  value: number,
  min: number,
  max: number,
  aboveMin = false,
): void {
  const low = aboveMin ? value > min : value >= min;
  if (typeof value !== "number" || !Number.isFinite(value) || !low || value > max)
    throw new InvalidInputError(
      `${field} must be a number ${aboveMin ? "above" : "from"} ${min} ${aboveMin ? "and at most" : "to"} ${max}, got ${String(value)}`,
      { field },
    );
}
