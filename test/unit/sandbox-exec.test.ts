import { describe, expect, it } from "vitest";
import { OperationError } from "../../src/errors.js";
import { run } from "../../src/sandbox/exec.js";

describe("local commands (sandbox)", () => {
  it("passes every argument through unchanged, hostile ones included", async () => {
    const args = ["a b", "$(reboot)", "it's", "`id`", "x;y", "", "*"];
    expect(await run("printf", ["%s\\n", ...args])).toBe(`${args.join("\n")}\n`);
  });

  it("fails with the command and the tail of stderr", async () => {
    const err = await run("ls", ["/no such dir"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as Error).message).toMatch(/^ls \/no such dir failed: ls: cannot access '\/no such dir'/);
  });

  it("stops a command that runs past its deadline", async () => {
    const started = Date.now();
    await expect(run("sleep", ["5"], { timeoutMs: 200 })).rejects.toThrow(/sleep 5 failed/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
