/**
 * The two output formats of every command: `table` for people, `json` for scripts. JSON goes to
 * stdout as one document; its fields are documented in docs/cli.md and only ever gain fields.
 */
export type Format = "table" | "json";

export function parseFormat(value: string): Format {
  if (value !== "table" && value !== "json")
    throw new UsageError(`--format must be "table" or "json", got "${value}"`);
  return value;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    process.stdout.write("(none)\n");
    return;
  }
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) =>
    Math.max(c.length, ...cells.map((r) => (r[i] ?? "").length)),
  );
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(
    `${line(columns.map((c) => c.toUpperCase()))}\n${cells.map(line).join("\n")}\n`,
  );
}

export function printFields(fields: [string, unknown][]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) process.stdout.write(`${key.padEnd(width)}  ${cell(value)}\n`);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

export { isoTime } from "../api/wire/iso-time.js";

/** A bad flag or argument: exit code 2 with the usage hint. */
export class UsageError extends Error {}

/** a run's error in one line: "code: message (step S)" */
export function runErrorLine(error: {
  code: string;
  message: string;
  step?: string | null;
}): string {
  return `${error.code}: ${error.message}${error.step ? ` (step ${error.step})` : ""}`;
}
