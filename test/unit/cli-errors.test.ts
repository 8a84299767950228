import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createOutput } from "../../src/cli/output.js";
import { reportError } from "../../src/cli/report-error.js";
import { HostError, HostsFailed, InputError, OperationError } from "../../src/errors.js";

/** Reports `err` as np's entry point does and returns the exit code and what reached stderr. */
function report(err: unknown, verbose: boolean): { code: number; stderr: string } {
  const stderr = new PassThrough();
  let text = "";
  stderr.on("data", (c: Buffer) => {
    text += c.toString();
  });
  const out = createOutput({ verbose, stdout: new PassThrough(), stderr, env: {} });
  const code = reportError(err, out, verbose, stderr);
  return { code, stderr: text };
}

const REMOTE_STDERR = "line 1 of the remote stderr\nline 2\nline 3: the reason\n";

describe("reportError", () => {
  it("reports a programming error as an internal error, with its stack only under --verbose", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'cpus')");
    const quiet = report(bug, false);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toContain("error: internal error: Cannot read properties of undefined");
    expect(quiet.stderr).toContain("run again with --verbose");
    expect(quiet.stderr).not.toContain("at ");
    const loud = report(bug, true);
    expect(loud.stderr).toContain(bug.stack as string);
  });

  it("reports an np error caused by a programming error as an internal error with the bug's stack", () => {
    const bug = new ReferenceError("verdict is not defined");
    const r = report(Object.assign(new OperationError("wrapped"), { cause: bug }), true);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("internal error: verdict is not defined");
    expect(r.stderr).toContain(bug.stack as string);
  });

  it("shows a failed command's whole remote stderr under --verbose, every line naming its host", () => {
    const err = new HostError("node2", "install failed: line 3: the reason", "re-run np up", REMOTE_STDERR);
    const quiet = report(err, false);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toContain("error: node2: install failed: line 3: the reason");
    expect(quiet.stderr).toContain("hint: re-run np up");
    expect(quiet.stderr).not.toContain("line 1 of the remote stderr");
    const loud = report(err, true);
    for (const line of ["line 1 of the remote stderr", "line 2", "line 3: the reason"])
      expect(loud.stderr).toContain(`node2:   ${line}\n`);
  });

  it("shows each failed host's remote stderr inside HostsFailed under --verbose", () => {
    const err = new HostsFailed([
      new HostError("node1", "a failed", undefined, "stderr of node1\n"),
      new HostError("node3", "connection lost"),
      new HostError("node4", "b failed", undefined, "stderr of node4\nsecond line of node4\n"),
    ]);
    const loud = report(err, true);
    expect(loud.code).toBe(1);
    expect(loud.stderr).toContain("failed on 3 hosts");
    expect(loud.stderr).toContain("node1:   stderr of node1\n");
    expect(loud.stderr).toContain("node4:   stderr of node4\nnode4:   second line of node4\n");
    expect(loud.stderr).not.toContain("node3: stderr of the failed command");
    expect(report(err, false).stderr).not.toContain("stderr of node1");
  });

  it("keeps an input error's exit code and problems", () => {
    const r = report(
      new InputError("inventory.yaml has 1 problem", ["inventory.yaml:3:5 hosts: bad"]),
      false,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("  inventory.yaml:3:5 hosts: bad\n");
  });

  it("reports a thrown non-Error as an internal error", () => {
    expect(report("a string", false)).toMatchObject({ code: 1, stderr: expect.stringContaining("a string") });
  });
});
