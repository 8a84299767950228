import { describe, expect, it } from "vitest";
import { counted } from "../../src/output/counted.js";

// np up and np plan end with "N changes on M hosts": "1 changes on 1 hosts" is what users saw after a one-host repair.
describe("counted", () => {
  it("says one thing in the singular and every other count in the plural", () => {
    expect(counted(1, "change")).toBe("1 change");
    expect(counted(2, "change")).toBe("2 changes");
    expect(counted(0, "host")).toBe("0 hosts");
    expect(counted(1, "host")).toBe("1 host");
  });

  it("takes an irregular plural", () => {
    expect(counted(3, "entry", "entries")).toBe("3 entries");
  });
});
