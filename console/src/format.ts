/** Times, durations and sizes as the CLI prints them. */
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "-";
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return "-";
  return `${duration(Math.abs(ms))} ${ms >= 0 ? "ago" : "from now"}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3600)} h`;
}

export function time(iso: string | null): string {
  if (!iso) return "-";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** JSON for display; an elided value (`{"$elided":true,"bytes":N}`) says its size instead */
export function showJson(value: unknown): string {
  if (isElided(value)) return `(${bytes(value.bytes)}, too large to show here: keel jobs show)`;
  if (value === undefined) return "-";
  return JSON.stringify(value, null, 2);
}

export function isElided(value: unknown): value is { $elided: true; bytes: number } {
  return (
    typeof value === "object" && value !== null && (value as { $elided?: unknown }).$elided === true
  );
}
