import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the conformance suite in src/store is called by each backend's test file, not run alone
    exclude: ["**/node_modules/**", "dist/**", "src/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // crash and CLI tests spawn real processes; two cores: keep files from starving each other
    maxWorkers: 2,
    // nodes started by tests (and their CLI children) listen on a free port, never on 7420, so
    // test files running side by side do not fight over it
    env: { KEEL_SERVER_PORT: "0" },
  },
});
