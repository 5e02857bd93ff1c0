import { KeelError } from "./keel-error.js";

/** A golden save under a name already taken, without asking to replace it. */
export class GoldenExistsError extends KeelError {
  constructor(name: string, runId: string) {
    super(
      "golden_exists",
      `golden "${name}" already exists (saved from run ${runId}); pick another name, or pass --replace to overwrite it`,
      { details: { name, run: runId } },
    );
  }
}

/** A run that cannot be replayed by this process: no module to load its pipeline from, or no such pipeline. */
export class ReplayUnavailableError extends KeelError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super("replay_unavailable", message, { details, cause });
  }
}
