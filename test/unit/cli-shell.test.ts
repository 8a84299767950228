import { describe, expect, it } from "vitest";
import { runNp } from "../helpers/run-np.js";

describe("np CLI shell", () => {
  it("prints help with the global flags and exits 0", () => {
    const r = runNp(["--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--inventory", "--json", "--verbose", "--no-color", "--yes"])
      expect(r.stdout).toContain(flag);
  });

  it("prints the package version", () => {
    const r = runNp(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("refuses a flag value that is not a number of seconds with exit 2, before reading any inventory", () => {
    const r = runNp(["up", "--quorum-timeout", "soon", "-i", "/nonexistent/inventory.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--quorum-timeout <seconds>' argument 'soon' is invalid");
    expect(r.stderr).not.toContain("inventory file not found");
  });

  it("refuses an unknown flag with exit 2 and a pointer to --help", () => {
    const r = runNp(["--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stderr).toContain("np --help");
  });
});
