import { describe, expect, it } from "vitest";
import { createOutput, wantsColor } from "../../src/cli/output.js";
import { runNp } from "../helpers/run-np.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
const ANSI = /\x1b\[/;

describe("colours (README: only on a terminal; NO_COLOR and --no-color turn them off; FORCE_COLOR forces them)", () => {
  it.each([
    ["a terminal", true, undefined, {}, true],
    ["a pipe", false, undefined, {}, false],
    ["--no-color on a terminal", false, false, {}, true],
    ["NO_COLOR on a terminal", false, undefined, { NO_COLOR: "1" }, true],
    ["an empty NO_COLOR (unset) on a terminal", true, undefined, { NO_COLOR: "" }, true],
    ["FORCE_COLOR into a pipe", true, undefined, { FORCE_COLOR: "1" }, false],
    ["an empty FORCE_COLOR into a pipe", true, undefined, { FORCE_COLOR: "" }, false],
    ["FORCE_COLOR=0 on a terminal", false, undefined, { FORCE_COLOR: "0" }, true],
    ["FORCE_COLOR=false on a terminal", false, undefined, { FORCE_COLOR: "false" }, true],
    ["NO_COLOR over FORCE_COLOR", false, undefined, { NO_COLOR: "1", FORCE_COLOR: "1" }, true],
    ["--no-color over FORCE_COLOR", false, false, { FORCE_COLOR: "1" }, false],
  ])("%s: colour %s", (_what, expected, flag, env, isTTY) => {
    expect(wantsColor(flag, env, isTTY)).toBe(expected);
  });

  it("paints only when the human output goes to a terminal: not when stdout is piped", () => {
    const tty = { isTTY: true, write: () => true } as unknown as NodeJS.WritableStream & { isTTY: boolean };
    const pipe = { isTTY: false, write: () => true } as unknown as NodeJS.WritableStream & { isTTY: boolean };
    expect(createOutput({ stdout: tty, stderr: tty, env: {} }).color).toBe(true);
    expect(createOutput({ stdout: pipe, stderr: tty, env: {} }).color).toBe(false);
    // With --json, stdout holds only the JSON document; the human lines go to stderr.
    expect(createOutput({ json: true, stdout: pipe, stderr: tty, env: {} }).color).toBe(true);
  });

  it("the built np honours FORCE_COLOR, NO_COLOR and --no-color in what it prints", () => {
    const args = ["validate", "-i", "/nonexistent/inventory.yaml"];
    expect(runNp(args, { env: { NO_COLOR: "" } }).stderr).not.toMatch(ANSI);
    const forced = runNp(args, { env: { NO_COLOR: "", FORCE_COLOR: "1" } });
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(ANSI);
    expect(runNp(args, { env: { NO_COLOR: "1", FORCE_COLOR: "1" } }).stderr).not.toMatch(ANSI);
    expect(runNp([...args, "--no-color"], { env: { NO_COLOR: "", FORCE_COLOR: "1" } }).stderr).not.toMatch(
      ANSI,
    );
  });
});
