/**
 * Operator time words: `500ms`, `30s`, `30m`, `24h`, `7d`, or an ISO-8601 time. Every one is
 * range-checked here, before anything is written: a duration is at most 100 years and a time lies
 * between 1970 and 9999, so every stored time can be shown as an ISO string.
 */
const units: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** 36500d: the longest duration any input may give */
export const maxDurationMs = 36_500 * 86_400_000;
/** the earliest and latest time an input may name: 1970-01-01 and 9999-12-31T23:59:59.999Z */
export const minTimeMs = 0;
export const maxTimeMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const timeRangeText = "between 1970-01-01 and 9999-12-31";
const durationRangeText = "from 0ms to 36500d (100 years)";

const durationPattern = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

export function parseDurationMs(text: string): number {
  const match = durationPattern.exec(text);
  if (!match)
    throw new RangeError(
      `"${text}" is not a duration; use a number and a unit, like 500ms, 30s, 30m, 24h or 7d`,
    );
  const ms = Math.round(Number(match[1]) * (units[match[2] as string] as number));
  if (!(ms <= maxDurationMs))
    throw new RangeError(`"${text}" is too long: a duration must be ${durationRangeText}`);
  return ms;
}

/** Throws unless `ms` is a time an input may name (see timeRangeText). */
function checkTime(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms < minTimeMs || ms > maxTimeMs)
    throw new RangeError(`${what} must be a time ${timeRangeText}`);
  return ms;
}

/**
 * `--since 24h` means "24 hours before now"; an ISO time means itself. Returns epoch ms. A since
 * before 1970 (a long duration) means since the start: nothing is older.
 */
export function parseSince(text: string, now: number = Date.now()): number {
  if (durationPattern.test(text)) return Math.max(minTimeMs, now - parseDurationMs(text));
  return checkTime(parseTime(text, "--since", "30m, 24h, 7d"), `--since "${text}"`);
}

/** `--at 2026-12-01T09:00:00Z` or `--at 10m` (ten minutes from now). Returns epoch ms. */
export function parseAt(text: string, now: number = Date.now()): number {
  if (durationPattern.test(text)) return checkTime(now + parseDurationMs(text), `--at "${text}"`);
  return checkTime(parseTime(text, "--at", "10m, 2h"), `--at "${text}"`);
}

function parseTime(text: string, flag: string, examples: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
  const ms =
    iso.test(text.trim()) && realCalendarDay(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RangeError(
      `${flag} "${text}" is neither a duration (${examples}) nor an ISO time (2026-11-23T09:00:00Z) ${timeRangeText}`,
    );
  }
  return ms;
}

/** Date.parse rolls 2026-02-30 over to March 2; refuse a day the month does not have. */
function realCalendarDay(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}
