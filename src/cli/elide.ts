/**
 * A value for a terminal: its JSON on one line, or, when longer than `max` characters, a marker
 * with its size and where to read it whole. The JSON output (`--format json`) is never cut.
 */
export function elideJson(value: unknown, whole: string, max = 400): string {
  const text = JSON.stringify(value) ?? "null";
  if (text.length <= max) return text;
  const bytes = Buffer.byteLength(text);
  const size =
    bytes < 1024
      ? `${bytes} B`
      : bytes < 1024 * 1024
        ? `${(bytes / 1024).toFixed(1)} kB`
        : `${(bytes / 1048576).toFixed(1)} MB`;
  return `(${size}, elided; \`${whole}\` shows it)`;
}

/** "3/10 (30%) page 3 of 10": a progress report on one line */
export function progressLine(p: {
  done: number | null;
  total: number | null;
  message: string | null;
}): string {
  const parts: string[] = [];
  if (p.done !== null && p.total !== null && p.total > 0)
    parts.push(`${p.done}/${p.total} (${Math.floor((100 * p.done) / p.total)}%)`);
  else if (p.done !== null) parts.push(String(p.done));
  if (p.message) parts.push(p.message);
  return parts.join(" ");
}

/** 1.2 s, 3 min 4 s: an elapsed time for a terminal */
export function elapsedText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
