// The backlog the floor tools drain: n queued one-step "noop" runs, submitted as keel submits them.
import { newRunId, newTraceId } from "../../dist/src/core/ids.js";

/** submits n no-op runs to `store` (a SqliteStore), 1,000 per transaction */
export async function queueNoopRuns(store, n, now = Date.now()) {
  for (let i = 0; i < n; i += 1000)
    await store.submitRuns(
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        id: newRunId(),
        pipeline: "noop",
        pipelineVersion: "v1",
        input: { i: i + j },
        priority: 0,
        idempotencyKey: null,
        source: "bench",
        traceId: newTraceId(),
        seed: 1,
        scheduledFor: now,
        createdAt: now,
        actor: "bench",
      })),
    );
}
