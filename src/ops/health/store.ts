import { inspectStoreFile } from "../../store/sqlite/file-check.js";
import type { Store } from "../../store/store.js";
import type { Clock, ComponentHealth } from "./types.js";

/**
 * The store: its file looks like a database, and it answers a query. Cheap: no integrity scan
 * (that is `keel db check`).
 */
export async function checkStoreHealth(
  file: string,
  open: () => Store,
  clock: Clock = Date.now,
): Promise<ComponentHealth> {
  const state = inspectStoreFile(file);
  const fail = (reason: string): ComponentHealth => ({
    component: "store",
    status: "unhealthy",
    reason,
    details: { file },
  });
  if (state.kind === "missing")
    return fail(`there is no store at ${file} yet; \`keel start\` creates it`);
  if (state.kind === "empty") return fail(`the store file ${file} is empty (0 bytes)`);
  if (state.kind === "corrupt")
    return fail(`the store file ${file} is corrupt: ${state.reason} (see \`keel db check\`)`);
  const started = clock();
  try {
    const store = open();
    try {
      const counts = await store.countRunsByStatus();
      const runs = Object.values(counts).reduce((a, b) => a + b, 0);
      const ms = clock() - started;
      return {
        component: "store",
        status: "healthy",
        reason: `answers in ${ms} ms; ${runs} run${runs === 1 ? "" : "s"}`,
        details: { file, bytes: state.bytes, runs, ms },
      };
    } finally {
      await store.close();
    }
  } catch (error) {
    return fail(`the store at ${file} does not answer: ${(error as Error).message}`);
  }
}
