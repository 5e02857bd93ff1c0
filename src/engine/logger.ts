import { pino, type Logger } from "pino";
import { redactPaths } from "./redact-paths.js";

export { redactPaths };

/** Structured logs. Every run-scoped line carries `runId` and `traceId` (see run-execution.ts). */
export type { Logger };

export interface LoggerOptions {
  level?: string;
  destination?: number | string;
  /** full file paths in messages and fields become `…/<file name>` (security.path_redaction) */
  redactPaths?: boolean;
}

/** the log files this process writes, reopened together on SIGHUP */
const files = new Set<{ reopen(file?: string): void }>();

/**
 * Reopens every log file by its name: after logrotate (or an operator) renamed keel.log, the next
 * line goes to a new keel.log. `keel start` calls it on SIGHUP.
 */
export function reopenLogFiles(): number {
  for (const file of files) file.reopen();
  return files.size;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.KEEL_LOG_LEVEL ?? "warn";
  const toFile = typeof options.destination === "string";
  const destination = pino.destination({
    dest: options.destination ?? 2,
    sync: false,
    ...(toFile ? { mkdir: true, mode: 0o600 } : {}),
  });
  if (toFile) files.add(destination);
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
    destination,
  );
}
