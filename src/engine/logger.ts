import { pino, type Logger } from "pino";

/** Structured logs. Every run-scoped line carries `runId` and `traceId` (see run-execution.ts). */
export type { Logger };

export interface LoggerOptions {
  level?: string;
  destination?: number | string;
  /** full file paths in messages and fields become `…/<file name>` (security.path_redaction) */
  redactPaths?: boolean;
}

// an absolute path of two or more parts, not inside a URL (a `//` or a scheme's `:` before it)
const ABSOLUTE_PATH = /(?<![\w:/.])\/(?:[^\s"'`()<>/]+\/)+([^\s"'`()<>/]+)/g;

const FILE_URL = /file:\/\/(?:\/[^\s"'`()<>/]+)*\/([^\s"'`()<>/]+)/g;

export function redactPaths<T>(value: T, depth = 0): T {
  if (typeof value === "string")
    return value.replace(FILE_URL, "file://…/$1").replace(ABSOLUTE_PATH, "…/$1") as T;
  if (depth > 4 || value === null || typeof value !== "object") return value;
  // as pino's err serializer would show it, with the paths in its message and stack redacted
  if (value instanceof Error)
    return redactPaths(
      { ...value, type: value.name, message: value.message, stack: value.stack },
      depth + 1,
    ) as T;
  if (Array.isArray(value)) return value.map((v) => redactPaths(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactPaths(v, depth + 1);
  return out as T;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.KEEL_LOG_LEVEL ?? "warn";
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["token", "*.token", "authorization", "*.authorization", "password", "*.password"],
        censor: "[redacted]",
      },
      ...(options.redactPaths
        ? {
            formatters: { log: (object: Record<string, unknown>) => redactPaths(object) },
            // errors arrive here already redacted into plain objects: keep them as they are
            serializers: {
              err: (e: unknown) => (e instanceof Error ? pino.stdSerializers.err(e) : e),
            },
            hooks: {
              logMethod(args: unknown[], method: (...a: unknown[]) => void) {
                method.apply(
                  this,
                  args.map((a) => (typeof a === "string" ? redactPaths(a) : a)),
                );
              },
            },
          }
        : {}),
    },
    pino.destination({ dest: options.destination ?? 2, sync: false }),
  );
}
