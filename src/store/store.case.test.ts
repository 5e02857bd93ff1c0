import { afterEach, beforeEach, describe } from "vitest";
import { claimCases } from "./store-case/claims.case.test.js";
import { fencingCases } from "./store-case/fencing.case.test.js";
import type { StoreHandle } from "./store-case/helpers.case.test.js";
import { leaseCases } from "./store-case/leases.case.test.js";
import { registryCases } from "./store-case/registry.case.test.js";
import { submitCases } from "./store-case/runs.case.test.js";
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
 * close the store. Tests pass fixed times to the store and never sleep.
 *
 * This file and src/store/store-case/*.case.test.ts only hold tests to import; they are not
 * compiled into dist (tsconfig.build.json excludes **\/*.test.ts).
 */
export function storeConformance(
  name: string,
  makeStore: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`store conformance: ${name}`, () => {
    let current: { store: Store; cleanup: () => Promise<void> } | undefined;
    const handle: StoreHandle = {
      get store(): Store {
        if (!current) throw new Error("no store: makeStore did not run or failed");
        return current.store;
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
  });
}
