import { KeelError } from "./keel-error.js";

/**
 * The child process running a step died before it answered (SIGKILL, OOM, a segfault,
 * `process.exit`): only that attempt fails, and it is retried; a run that kills its worker
 * `isolation.poison_after` times is quarantined as `poison`.
 */
export class WorkerCrashedError extends KeelError {
  constructor(
    step: string,
    details: { pid: number | undefined; exitCode: number | null; signal: string | null },
  ) {
    const how = details.signal ? `signal ${details.signal}` : `exit code ${details.exitCode}`;
    super(
      "worker_crashed",
      `the worker process (pid ${details.pid}) running step "${step}" died: ${how}`,
      {
        retryable: true,
        details: { step, ...details },
      },
    );
  }
}

/** A child process for an isolated step could not be started: keel's fault, not the run's. */
export class WorkerStartError extends KeelError {
  constructor(message: string, cause?: unknown) {
    super("worker_start_failed", message, { retryable: true, cause });
  }
}
