import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { newRunId, newTraceId } from "../../src/core/ids.js";
import type { NewRun } from "../../src/store/store.js";

/** Shared fixtures of the SQLite file tests (the conformance suite has its own, backend-free). */

/** A fresh folder, removed when the test passed, kept (and printed) when it failed. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `keel-${prefix}-`));
  onTestFinished(({ task }) => {
    if (task.result?.state === "pass") rmSync(dir, { recursive: true, force: true });
    else console.warn(`kept ${dir} of the failed test "${task.name}"`);
  });
  return dir;
}

/** A run due now, ready for submitRuns. */
export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  const now = Date.now();
  return {
    id: newRunId(),
    pipeline: "p",
    pipelineVersion: "v",
    input: {},
    priority: 0,
    idempotencyKey: null,
    source: "test",
    traceId: newTraceId(),
    seed: 1,
    scheduledFor: now,
    createdAt: now,
    actor: "test",
    ...overrides,
  };
}
