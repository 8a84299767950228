// The order the e2e files start in: longest first, so the few long files (each forms clusters and waits through
// Consul's stabilisation several times) start at once and the short ones fill the gaps after them. Vitest's own
// order on a fresh clone (CI) is by file size, only loosely a file's time (check, 75 s, started before
// artifacts-faults, 242 s), and would change with every edit.
import path from "node:path";
import type { TestSpecification } from "vitest/node";
import { BaseSequencer } from "vitest/node";

/**
 * Seconds each file took in a full e2e run on the project's 2-core machine (12 files, 4 at a time). Only the order
 * matters: update it when a file's time changes much. A file not listed starts first (its time is unknown).
 */
export const E2E_SECONDS: Record<string, number> = {
  "up.test.ts": 811,
  "migrate.test.ts": 730,
  "lifecycle.test.ts": 668,
  "stack.test.ts": 382,
  "artifacts-faults.test.ts": 242,
  "deploy.test.ts": 220,
  "security.test.ts": 167,
  "nomad-security.test.ts": 166,
  "quickstart.test.ts": 124,
  "sandbox.test.ts": 95,
  "check.test.ts": 75,
  "faults.test.ts": 48,
};

/** Longest first; files without a figure before all others, in vitest's own order among themselves. */
export function longestFirst<T>(files: T[], fileOf: (f: T) => string): T[] {
  const seconds = (f: T) => E2E_SECONDS[path.basename(fileOf(f))] ?? Number.POSITIVE_INFINITY;
  return files
    .map((f, i) => ({ f, i }))
    .sort((a, b) => seconds(b.f) - seconds(a.f) || a.i - b.i)
    .map(({ f }) => f);
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return longestFirst(await super.sort(files), (spec) => spec.moduleId);
  }
}
