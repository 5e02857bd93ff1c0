import { PipelineDefinitionError } from "../errors/definition-errors.js";
import { parseVolatilePath, type VolatilePath } from "./volatile.js";

/** Checks a step's `volatile` option: a list of output field paths such as "items[].id". */
export function checkVolatile(step: string, volatile: unknown): readonly VolatilePath[] {
  if (volatile === undefined) return Object.freeze([]);
  if (!Array.isArray(volatile))
    throw new PipelineDefinitionError(
      "(unassigned)",
      `step "${step}" volatile must be a list of output field paths, like volatile: ["generatedAt", "items[].id"]`,
      { step, option: "volatile" },
    );
  return Object.freeze(
    volatile.map((text: unknown) => {
      const path = typeof text === "string" ? parseVolatilePath(text) : null;
      if (!path)
        throw new PipelineDefinitionError(
          "(unassigned)",
          `step "${step}" volatile path ${JSON.stringify(text)} is not a field path; write keys joined by "." with "[]" for every element of an array, like "items[].id"`,
          { step, option: "volatile" },
        );
      return path;
    }),
  );
}

/** The paths as written: `items[].id`. */
export function volatileText(path: VolatilePath): string {
  return path.map((p, i) => (p === "[]" ? p : i === 0 ? p : `.${p}`)).join("");
}
