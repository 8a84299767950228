import { defineConfig } from "vitest/config";

// End-to-end tests on sandbox nodes. Every file has its own sandbox (name, subnet, bridge) and its own nodes,
// so files run side by side; the first `np sandbox up` builds the shared base root while the others wait for it.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    fileParallelism: true,
    // Two cores: three files at once keeps the machine busy without starving Consul's elections.
    maxWorkers: 3,
  },
});
