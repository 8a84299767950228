import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/run-cli.js";
import { unknownCommandIn } from "../../src/cli/unknown-command.js";
import { runNp } from "../helpers/run-np.js";

describe("np <unknown-command> --help", () => {
  it.each([
    [["frobnicate", "--help"], "frobnicate"],
    [["-h", "valdate"], "valdate"],
    [["sandbox", "upp", "--help"], "upp"],
    [["-i", "inventory.yaml", "--json", "stauts", "-h"], "stauts"],
  ])("np %j says the command is unknown and exits 2", (args, name) => {
    const r = runNp(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown command '${name}'`);
    expect(r.stdout).not.toContain("Usage:");
  });

  it("still prints the help of a command that exists, and np's own help", () => {
    const sub = runNp(["-i", "x.yaml", "validate", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("Usage: np validate");
    const own = runNp(["--help"]);
    expect(own.code).toBe(0);
    expect(own.stdout).toContain("Usage: np [options] [command]");
  });
});

describe("unknownCommandIn", () => {
  const program = buildProgram(new AbortController().signal);
  it("skips the values of options, at np's level and a command's", () => {
    expect(unknownCommandIn(program, ["-i", "check", "--help"])).toBeUndefined();
    expect(unknownCommandIn(program, ["--inventory=x", "chek"])).toBe("chek");
    expect(unknownCommandIn(program, ["-v", "sandbox", "up", "--name", "down", "--help"])).toBeUndefined();
    expect(unknownCommandIn(program, ["--json", "sandbox", "statuss"])).toBe("statuss");
  });

  it("leaves commander's own `help <command>` and a command's operands alone", () => {
    expect(unknownCommandIn(program, ["help", "up"])).toBeUndefined();
    expect(unknownCommandIn(program, ["up", "extra"])).toBeUndefined();
    expect(unknownCommandIn(program, ["--", "anything"])).toBeUndefined();
  });
});
