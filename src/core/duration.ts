/**
 * Operator time words: `500ms`, `30s`, `30m`, `24h`, `7d`, or an ISO-8601 time.
 */
const units: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!match)
    throw new RangeError(
      `"${text}" is not a duration; use a number and a unit, like 500ms, 30s, 30m, 24h or 7d`,
    );
  return Math.round(Number(match[1]) * (units[match[2] as string] as number));
}

/** `--since 24h` means "24 hours before now"; an ISO time means itself. Returns epoch ms. */
export function parseSince(text: string, now: number = Date.now()): number {
  if (/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d|w)\s*$/.test(text)) return now - parseDurationMs(text);
  return parseTime(text, "--since", "30m, 24h, 7d");
}

/** `--at 2026-12-01T09:00:00Z` or `--at 10m` (ten minutes from now). Returns epoch ms. */
export function parseAt(text: string, now: number = Date.now()): number {
  if (/^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d|w)\s*$/.test(text)) return now + parseDurationMs(text);
  return parseTime(text, "--at", "10m, 2h");
}

function parseTime(text: string, flag: string, examples: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  const ms =
    iso.test(text.trim()) && realCalendarDay(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RangeError(
      `${flag} "${text}" is neither a duration (${examples}) nor an ISO time (2026-11-23T09:00:00Z)`,
    );
  }
  return ms;
}

/** Date.parse rolls 2026-02-30 over to March 2; refuse a day the month does not have. */
function realCalendarDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}
