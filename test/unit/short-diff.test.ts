import { describe, expect, it } from "vitest";
import { shortDiff } from "../../src/cluster/short-diff.js";

describe("shortDiff (np plan)", () => {
  it("marks removed lines with - and added lines with +", () => {
    expect(shortDiff("a\nold\nc", "a\nnew\nc")).toBe("- old\n+ new");
    expect(shortDiff("a\nc", "a\nb\nc")).toBe("+ b");
    expect(shortDiff("a\nb\nc", "a\nc")).toBe("- b");
  });

  it("is empty for equal texts and cut to the first lines for long ones", () => {
    expect(shortDiff("same", "same")).toBe("");
    const after = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n");
    const d = shortDiff("", after, 5).split("\n");
    expect(d).toHaveLength(6);
    expect(d[5]).toBe("  … 26 more changed lines");
  });
});
