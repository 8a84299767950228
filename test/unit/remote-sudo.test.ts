import { describe, expect, it } from "vitest";
import { sudoFailure } from "../../src/remote/sudo.js";

// What `sudo -n -- sh -s` printed on a sandbox node (Debian 12, sudo 1.9.13) for each case.
const result = (code: number, stderr: string) => ({ code, stdout: "", stderr });

describe("recognising sudo's own failure in the facts round trip", () => {
  it("says a password is needed (sudo asks one, or the user is not in sudoers), with the fix", () => {
    const err = sudoFailure("node2", "pw", result(1, "sudo: a password is required\n"));
    expect(err?.message).toBe("node2: user pw needs a password for sudo");
    expect(err?.hint).toBe(
      'np needs passwordless sudo: add "pw ALL=(ALL) NOPASSWD:ALL" to /etc/sudoers.d/pw on the host, or connect as root',
    );
  });

  it("says sudo is not installed, whatever the login shell", () => {
    for (const stderr of ["sh: 1: sudo: not found\n", "bash: sudo: command not found\n"]) {
      expect(sudoFailure("node2", "deploy", result(127, stderr))?.message).toBe(
        "node2: user deploy is not root and sudo is not installed",
      );
    }
  });

  it("names any other refusal by sudo", () => {
    const err = sudoFailure(
      "node2",
      "deploy",
      result(1, "sudo: account validation failure, is your account locked?\n"),
    );
    expect(err?.message).toBe(
      "node2: user deploy cannot become root with sudo: account validation failure, is your account locked?",
    );
  });

  it("is not sudo's failure for root, for a success, or for a command that failed by itself", () => {
    expect(sudoFailure("node2", "root", result(1, "sudo: a password is required\n"))).toBeUndefined();
    expect(sudoFailure("node2", "deploy", result(0, ""))).toBeUndefined();
    expect(sudoFailure("node2", "deploy", result(2, "sh: 3: Syntax error\n"))).toBeUndefined();
  });
});
