import type { StateDiff } from "../store/integrity.js";
import { openStore } from "../store/open-store.js";
import { assertNoNodeRunning, serverStoreUrl } from "./db-files.js";
import { requireStoreFile } from "./db-preflight.js";
import { assertNoLiveNode } from "./db-server-tools.js";

/**
 * `keel db rebuild-state`: each run's status recomputed from its transitions, the audit trail it
 * can be rebuilt from. A preview reads on a read-only connection, beside a node if one runs;
 * `apply` writes the rebuilt statuses in one transaction and refuses while a node runs, since a
 * node would keep acting on the statuses it holds in memory. On a PostgreSQL store that is any
 * node of any host that heartbeats.
 */
export interface RebuildResult {
  applied: boolean;
  diffs: StateDiff[];
}

export async function rebuildState(
  home: string,
  options: { apply: boolean; actor: string; now?: () => number },
): Promise<RebuildResult> {
  const now = options.now ?? Date.now;
  const server = serverStoreUrl(home) !== null;
  if (!server) {
    if (options.apply) assertNoNodeRunning(home, "rebuilding run statuses");
    requireStoreFile(home);
  }
  const store = openStore({ home, readonly: !options.apply });
  try {
    if (server && options.apply) await assertNoLiveNode(store, "rebuilding run statuses", now());
    const diffs = await store.rebuildStates(options.apply, options.actor, now());
    return { applied: options.apply && diffs.length > 0, diffs };
  } finally {
    await store.close();
  }
}
