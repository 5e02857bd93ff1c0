import { createHash } from "node:crypto";
import { InvalidInputError } from "../../core/errors/definition-errors.js";

/**
 * Which of the primary's runs a shadow compares: a run is in the sample when a hash of its id
 * falls under the rate, so the same run is in or out on every node and every time it is asked.
 */
export function sampled(runId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  const point = createHash("sha256").update(runId).digest().readUInt32BE(0) / 2 ** 32;
  return point < rate;
}

/** `10%`, `0.5%`, `100%` -> 0.1, 0.005, 1 */
export function parseSample(text: string): number {
  const match = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text.trim());
  const percent = match ? Number(match[1]) : Number.NaN;
  if (!(percent >= 0 && percent <= 100))
    throw new InvalidInputError(
      `--sample ${text}: give the share of the primary's runs to compare as a percentage from 0% to 100%, e.g. 10%`,
      { field: "sample" },
    );
  return percent / 100;
}
