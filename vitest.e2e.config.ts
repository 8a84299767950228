import { defineConfig } from "vitest/config";

// End-to-end tests on sandbox nodes. Every file has its own sandbox (name, subnet, bridge) and its own nodes,
// so files run side by side; the first `np sandbox up` builds the shared base root while the others wait for it.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    fileParallelism: true,
    // Two cores, four files at once: e2e files mostly wait (unit starts, quorum gates, Consul's stabilisation); a
    // full CI run at three used ~40% of both cores, and the three longest files (~10 min each) then set the pace.
    maxWorkers: 4,
  },
});
