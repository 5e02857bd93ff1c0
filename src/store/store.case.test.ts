import { afterEach, beforeEach, describe } from "vitest";
import { alertCases } from "./store-case/alerts.case.test.js";
import { auditCases } from "./store-case/audit.case.test.js";
import { bulkOperatorCases } from "./store-case/bulk-operator.case.test.js";
import { breakerCases, type PeerHandle } from "./store-case/breakers.case.test.js";
import { claimCases } from "./store-case/claims.case.test.js";
import { clusterCases } from "./store-case/cluster.case.test.js";
import { fencingCases } from "./store-case/fencing.case.test.js";
import { inventoryCases } from "./store-case/inventory.case.test.js";
import { goldenCases } from "./store-case/goldens.case.test.js";
import { gateCases } from "./store-case/gates.case.test.js";
import { leaseCases } from "./store-case/leases.case.test.js";
import { retryCases } from "./store-case/operator-runs.case.test.js";
import { progressCases } from "./store-case/progress.case.test.js";
import { purgeCases } from "./store-case/purge.case.test.js";
import {
  maintenanceCases,
  type MaintenanceHandle,
  type StoreTamper,
} from "./store-case/maintenance.case.test.js";
import { shadowCases } from "./store-case/shadows.case.test.js";
import { retentionCases, vacuumCases } from "./store-case/retention.case.test.js";
import { registryCases } from "./store-case/registry.case.test.js";
import { submitCases } from "./store-case/runs.case.test.js";
import { sourceCases } from "./store-case/sources.case.test.js";
import { storageCases } from "./store-case/storage.case.test.js";
import { tokenCases } from "./store-case/tokens.case.test.js";
import { telemetryCases } from "./store-case/telemetry.case.test.js";
import { transitionCases } from "./store-case/transitions.case.test.js";
import { concurrentWriteCases, writeCases } from "./store-case/writes.case.test.js";
import type { Store } from "./store.js";

/**
 * The store conformance suite: one set of tests every backend must pass, written against the
 * Store interface only. A backend's test file calls it with a factory:
 *
 *   storeConformance("sqlite", async () => ({ store, cleanup }));
 *
 * `makeStore` runs once per test, inside it (from beforeEach), so it may register per-test hooks
 * such as onTestFinished; it must return an empty store. `cleanup` runs after the test and must
 * close the store. `tamper` (optional) makes direct writes that break invariants the Store API
 * never breaks, for the integrity cases; without it those cases are skipped. `peer` (optional) is a
 * second store on the same data, so racing writers are two connections. Tests pass fixed times
 * to the store and never sleep.
 *
 * This file and src/store/store-case/*.case.test.ts only hold tests to import; they are not
 * compiled into dist (tsconfig.build.json excludes **\/*.test.ts).
 */
export function storeConformance(
  name: string,
  makeStore: () => Promise<{
    store: Store;
    cleanup: () => Promise<void>;
    tamper?: StoreTamper;
    /** a second store on the same data, as another node opens it; for the racing cases */
    peer?: Store;
  }>,
): void {
  describe(`store conformance: ${name}`, () => {
    let current: Awaited<ReturnType<typeof makeStore>> | undefined;
    const handle: MaintenanceHandle & PeerHandle = {
      get store(): Store {
        if (!current) throw new Error("no store: makeStore did not run or failed");
        return current.store;
      },
      // optional: direct writes that break invariants, for the integrity cases
      get tamper(): StoreTamper | undefined {
        return current?.tamper;
      },
      get peer(): Store | undefined {
        return current?.peer;
      },
    };

    beforeEach(async () => {
      current = await makeStore();
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      await done?.cleanup();
    });

    submitCases(handle);
    claimCases(handle);
    writeCases(handle);
    concurrentWriteCases(handle);
    fencingCases(handle);
    leaseCases(handle);
    registryCases(handle);
    retryCases(handle);
    bulkOperatorCases(handle);
    purgeCases(handle);
    retentionCases(handle);
    vacuumCases(handle);
    auditCases(handle);
    sourceCases(handle);
    tokenCases(handle);
    telemetryCases(handle);
    progressCases(handle);
    breakerCases(handle);
    maintenanceCases(handle);
    inventoryCases(handle);
    transitionCases(handle);
    storageCases(handle);
    alertCases(handle);
    clusterCases(handle);
    goldenCases(handle);
    gateCases(handle);
    shadowCases(handle);
  });
}
