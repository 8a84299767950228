import { describe, expect, it } from "vitest";
import { checkSandboxName, sandboxPaths } from "../../src/sandbox/paths.js";
import { missingRequirements } from "../../src/sandbox/requirements.js";
import { checkFlags } from "../../src/sandbox/up.js";
import { runNp } from "../helpers/run-np.js";

describe("np sandbox flags and requirements", () => {
  it("lists up, down and status in help", () => {
    const r = runNp(["sandbox", "--help"]);
    expect(r.code).toBe(0);
    for (const c of ["up", "down", "status"]) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    const up = runNp(["sandbox", "up", "--help"]);
    for (const f of ["--nodes", "--small", "--out", "--rebuild", "--name", "--subnet"])
      expect(up.stdout).toContain(f);
  });

  it("refuses bad flags with exit 2 before touching the host", () => {
    const cases: [string[], string][] = [
      [["--nodes", "2"], "--nodes 2: a sandbox has 3 to 20 nodes"],
      [["--nodes", "21"], "--nodes 21"],
      [["--nodes", "many"], "expected a whole number"],
      [["--subnet", "8.8.8.0/24"], "not inside a private range"],
      [["--small", "web1"], "--small: no such node: web1"],
      [["--name", "Bad_Name"], "--name Bad_Name"],
      [["--name", "much-too-long-name"], "at most 15 characters"],
    ];
    for (const [args, message] of cases) {
      const r = runNp(["sandbox", "up", ...args]);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it("accepts good names and derives a bridge name that fits in 15 characters", () => {
    for (const name of ["np", "nptest-sbx", "a1", "abcdefghijkl"]) {
      expect(() => checkSandboxName(name)).not.toThrow();
      expect(sandboxPaths(name).bridge.length).toBeLessThanOrEqual(15);
    }
    for (const name of ["", "1np", "np-", "abcdefghijklm", "base-x", "a/b"])
      expect(() => checkSandboxName(name)).toThrow();
    expect(() =>
      checkFlags({ name: "np", nodes: 3, small: ["node3"], subnet: "10.213.9.0/24" }),
    ).not.toThrow();
  });

  it("names each missing requirement and refuses non-Linux hosts and non-root users", () => {
    expect(missingRequirements([], { platform: "darwin", uid: 501 })).toEqual([
      "np sandbox needs Linux (this is darwin)",
    ]);
    expect(missingRequirements([], { platform: "linux", uid: 1000 })).toEqual([
      "np sandbox needs root: run it with sudo",
    ]);
  });
});
