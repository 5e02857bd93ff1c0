/**
 * security.path_redaction: every absolute path in a string (messages, error stacks, `file://`
 * URLs) becomes `…/<file name>`, so what keel shows (its log, its API, the CLI's output of either)
 * names the file but not the folders above it: no user name, no install or data layout. URLs
 * (`http://host/a/b`) are left alone.
 */
// an absolute path of two or more parts, not inside a URL (a `//` or a scheme's `:` before it)
const ABSOLUTE_PATH = /(?<![\w:/.])\/(?:[^\s"'`()<>/]+\/)+([^\s"'`()<>/]+)/g;

const FILE_URL = /file:\/\/(?:\/[^\s"'`()<>/]+)*\/([^\s"'`()<>/]+)/g;

// fields that hold a request's URL path (the API access log's `route`): `/v1/runs/:id/cancel`
// looks like a file path to ABSOLUTE_PATH but names no folder of this machine
const URL_FIELDS = new Set(["route", "url"]);

export function redactPathText(text: string): string {
  return text.replace(FILE_URL, "file://…/$1").replace(ABSOLUTE_PATH, "…/$1");
}

export function redactPaths<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactPathText(value) as T;
  if (depth > 4 || value === null || typeof value !== "object") return value;
  // as pino's err serializer would show it, with the paths in its message and stack redacted
  if (value instanceof Error)
    return redactPaths(
      { ...value, type: value.name, message: value.message, stack: value.stack },
      depth + 1,
    ) as T;
  if (Array.isArray(value)) return value.map((v) => redactPaths(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] =
      URL_FIELDS.has(k) && typeof v === "string" && v.startsWith("/")
        ? v
        : redactPaths(v, depth + 1);
  return out as T;
}
