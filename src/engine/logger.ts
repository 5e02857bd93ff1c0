import { pino, type Logger } from "pino";

/** Structured logs. Every run-scoped line carries `runId` and `traceId` (see run-execution.ts). */
export type { Logger };

export function createLogger(
  options: { level?: string; destination?: number | string } = {},
): Logger {
  const level = options.level ?? process.env.KEEL_LOG_LEVEL ?? "warn";
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: {
        paths: ["token", "*.token", "authorization", "*.authorization", "password", "*.password"],
        censor: "[redacted]",
      },
    },
    pino.destination({ dest: options.destination ?? 2, sync: false }),
  );
}
