import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // End-to-end files share one set of sandbox nodes and the host's bridge: run test files one at a time.
    fileParallelism: false,
  },
});
