import { defineConfig } from "vitest/config";

/** The Docker end-to-end suite: real engine, real containers (see test/e2e/README.md). */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: false,
    globalSetup: ["test/e2e/support/global-setup.ts"],
  },
});
