// the functions alone, without the schemas: the CLI's tables use them with no zod loaded
/** Times on the wire are ISO 8601 strings in UTC, or null. */
export function isoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const date = new Date(ms);
  // a time no calendar holds (a row edited by hand, or stored before inputs were range-checked)
  // is shown as such, so one bad row never takes a listing down; `keel db check` reports it
  return Number.isNaN(date.getTime()) ? `invalid time (${String(ms)})` : date.toISOString();
}

/** two decimals: figures for people, not for arithmetic */
export function round2(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}
