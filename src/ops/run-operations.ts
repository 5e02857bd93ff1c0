import type { JsonValue } from "../core/canonical-json.js";
import { checkDag } from "../core/dag.js";
import { KeelError } from "../core/errors/keel-error.js";
import type { Keel, RunDetails } from "../engine/keel.js";
import type { PurgeResult, RetryResult } from "../store/operator-requests.js";
import type { RunRecord } from "../store/records.js";
import type { RunPage } from "../store/store.js";

/**
 * The quarantine's procedures (list, show, retry, purge): what they add to the engine's own
 * cancel, retry and audit, which callers use directly. Every change goes through the engine,
 * which writes it with its audit entry in one transaction.
 */
const DAY_MS = 86_400_000;

/** A run that is not where a quarantine command expects it. */
export class NotQuarantinedError extends KeelError {
  constructor(run: RunRecord) {
    super(
      "not_quarantined",
      `run ${run.id} is ${run.status}, not quarantined; see it with \`keel jobs show ${run.id}\`${
        run.status === "pending" || run.status === "running"
          ? ""
          : ", retry it with `keel jobs retry`"
      }`,
      { details: { runId: run.id, status: run.status } },
    );
  }
}

export function listQuarantine(
  keel: Keel,
  query: { reason?: string; since?: number; limit: number; cursor?: string },
): Promise<RunPage> {
  return keel.list({
    status: "quarantined",
    quarantineReason: query.reason,
    since: query.since,
    limit: query.limit,
    cursor: query.cursor,
  });
}

export interface FailedAttempt {
  step: string;
  attempt: number | null;
  code: string;
  message: string | null;
  at: number;
}

export interface QuarantinedRun extends RunDetails {
  /** every failed step attempt, oldest first */
  failures: FailedAttempt[];
  /** steps with a checkpoint: a retry keeps them */
  checkpointed: string[];
  /** the steps a retry runs, in order; null when no definition of the pipeline is known */
  toRun: string[] | null;
}

export async function showQuarantined(keel: Keel, id: string): Promise<QuarantinedRun> {
  const details = await keel.inspect(id);
  if (details.run.status !== "quarantined") throw new NotQuarantinedError(details.run);
  const checkpointed = details.steps.map((s) => s.step);
  const steps = await keel.pipelineSteps(details.run.pipeline);
  const toRun = steps
    ? checkDag(details.run.pipeline, steps).order.filter((s) => !checkpointed.includes(s))
    : null;
  const failures = details.transitions
    .filter((t) => t.step !== null && t.to === "failed")
    .map((t) => {
      const info = (t.details ?? {}) as { attempt?: JsonValue; message?: JsonValue };
      return {
        step: t.step as string,
        attempt: typeof info.attempt === "number" ? info.attempt : null,
        code: t.reason,
        message: typeof info.message === "string" ? info.message : null,
        at: t.at,
      };
    });
  return { ...details, failures, checkpointed, toRun };
}

/** A retry that insists on a quarantined run: the quarantine's own procedure. */
export async function retryQuarantined(
  keel: Keel,
  id: string,
  note: string,
  actor: string,
): Promise<RetryResult> {
  const run = await keel.inspect(id).then((d) => d.run);
  if (run.status !== "quarantined") throw new NotQuarantinedError(run);
  return keel.retry(id, { note, actor });
}

export interface QuarantinePurge extends PurgeResult {
  /** epoch ms: runs quarantined before it were purged; null without --older-than-days */
  olderThan: number | null;
}

export async function purgeQuarantine(
  keel: Keel,
  options: {
    olderThanDays?: number;
    reason?: string;
    all?: boolean;
    ids?: readonly string[];
    dryRun: boolean;
    actor: string;
    now?: number;
  },
): Promise<QuarantinePurge> {
  const now = options.now ?? Date.now();
  const olderThan =
    options.olderThanDays === undefined ? undefined : now - options.olderThanDays * DAY_MS;
  const result = await keel.purge({
    olderThan,
    reason: options.reason,
    all: options.all,
    ids: options.ids,
    dryRun: options.dryRun,
    actor: options.actor,
  });
  return { ...result, olderThan: olderThan ?? null };
}
