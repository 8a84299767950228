import { defineConfig } from "vitest/config";
import { LongestFirstSequencer } from "./test/helpers/e2e-sequencer.js";

// End-to-end tests on sandbox nodes. Every file has its own sandbox (name, subnet, bridge) and its own nodes,
// so files run side by side; the first `np sandbox up` builds the shared base root while the others wait for it.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 600_000,
    fileParallelism: true,
    // Two cores, four files at once, the longest first (test/helpers/e2e-sequencer.ts): e2e files mostly wait
    // (unit starts, quorum gates, Consul's stabilisation), but four at once keep both cores ~83% busy, and splitting
    // the longest files to run more at once was measured no faster (17m18s vs 17m03s, 10% more CPU: each new file
    // forms a cluster of its own).
    maxWorkers: 4,
    sequence: { sequencer: LongestFirstSequencer },
  },
});
