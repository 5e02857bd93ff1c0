import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { storeConformance } from "../../src/store/store.case.test.js";
import { sqliteTamper } from "./sqlite-tamper.js";

// A fresh SqliteStore per test, in its own temp folder. The folder is removed only when the test
// passed; a failed test leaves its database behind (its path is printed) to be inspected.
storeConformance("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-store-sqlite-"));
  const store = SqliteStore.open({ path: join(dir, "keel.db") });
  onTestFinished(({ task }) => {
    if (task.result?.state === "pass") {
      rmSync(dir, { recursive: true, force: true });
    } else {
      console.warn(`store conformance (sqlite): kept ${dir} of the failed test "${task.name}"`);
    }
  });
  const tamper = sqliteTamper(join(dir, "keel.db"));
  const peer = SqliteStore.open({ path: join(dir, "keel.db") });
  return {
    store,
    tamper: tamper.tamper,
    peer,
    cleanup: async () => {
      tamper.close();
      await peer.close();
      await store.close();
    },
  };
});
