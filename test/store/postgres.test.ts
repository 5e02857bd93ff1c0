import { onTestFinished } from "vitest";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { storeConformance } from "../../src/store/store.case.test.js";
import { dropSchema, freshSchema, useTestPostgres } from "./postgres-server.js";
import { postgresTamper } from "./postgres-tamper.js";

// The conformance suite on PostgreSQL: each test gets a schema of its own, made by the store's
// migration and dropped after the test unless it failed; a failed test keeps its schema (its name is
// printed) to be inspected. The store runs on the caller's clock here, as the suite passes fixed
// times; the database clock has its own tests (postgres-cluster.test.ts).
const server = useTestPostgres();

storeConformance("postgres", async () => {
  const { url } = server();
  const schema = freshSchema();
  const store = PostgresStore.open({ url, schema, clock: "caller", poolSize: 4 });
  await store.ready();
  const peer = PostgresStore.open({ url, schema, clock: "caller", poolSize: 4 });
  onTestFinished(async ({ task }) => {
    if (task.result?.state !== "fail") await dropSchema(url, schema);
    else console.warn(`store conformance (postgres): kept schema ${schema} of "${task.name}"`);
  });
  return {
    store,
    peer,
    tamper: postgresTamper(url, schema),
    cleanup: async () => {
      await peer.close();
      await store.close();
    },
  };
});
