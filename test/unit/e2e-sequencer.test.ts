import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { E2E_SECONDS, longestFirst } from "../helpers/e2e-sequencer.js";

const e2eDir = path.join(import.meta.dirname, "..", "e2e");

describe("the e2e files' start order", () => {
  it("lists a time for every e2e file, and only for files that exist", () => {
    const files = readdirSync(e2eDir).filter((f) => f.endsWith(".test.ts"));
    expect(Object.keys(E2E_SECONDS).sort()).toEqual(files.sort());
  });

  it("starts the longest files first and a file without a figure before them all", () => {
    const files = [
      "/r/test/e2e/check.test.ts",
      "/r/test/e2e/new.test.ts",
      "/r/test/e2e/up.test.ts",
      "/r/test/e2e/migrate.test.ts",
    ];
    expect(longestFirst(files, (f) => f)).toEqual([
      "/r/test/e2e/new.test.ts",
      "/r/test/e2e/up.test.ts",
      "/r/test/e2e/migrate.test.ts",
      "/r/test/e2e/check.test.ts",
    ]);
  });

  it("keeps vitest's order among files without a figure", () => {
    expect(longestFirst(["/a/x.test.ts", "/a/y.test.ts"], (f) => f)).toEqual([
      "/a/x.test.ts",
      "/a/y.test.ts",
    ]);
  });
});
