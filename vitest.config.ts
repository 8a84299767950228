import { defineConfig } from "vitest/config";

// Unit and contract tests (loopback only). End-to-end tests on sandbox nodes: vitest.e2e.config.ts.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/contract/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    // Files mostly wait on child processes (Consul, doubles, sshd): more workers than cores pays.
    fileParallelism: true,
    maxWorkers: 4,
  },
});
