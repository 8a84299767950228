import { HostError } from "../errors.js";
import type { ExecResult } from "./connection.js";

/**
 * Root access for a non-root login: np needs passwordless sudo and never asks for, echoes or logs a password.
 * np does not ask sudo first (that would cost a round trip): it runs its first command through `sudo -n`
 * directly, and when that command printed nothing of its own, this recognises sudo's own failure in its result.
 * Returns undefined when the failure is not sudo's.
 */
export function sudoFailure(host: string, user: string, r: ExecResult): HostError | undefined {
  if (user === "root" || r.code === 0) return undefined;
  if (r.code === 127 || /\bsudo: (command )?not found|sudo: No such file/.test(r.stderr)) {
    return new HostError(
      host,
      `user ${user} is not root and sudo is not installed`,
      "install sudo on the host or connect as root",
    );
  }
  const said = /^sudo: (.*)$/m.exec(r.stderr)?.[1];
  if (said === undefined) return undefined;
  const passwordless = `np needs passwordless sudo: add "${user} ALL=(ALL) NOPASSWD:ALL" to /etc/sudoers.d/${user} on the host, or connect as root`;
  // `sudo -n` says "a password is required" both for a password prompt and for a user sudo does not allow.
  const what = /password is required|terminal is required/.test(said)
    ? `user ${user} needs a password for sudo`
    : `user ${user} cannot become root with sudo: ${said}`;
  return new HostError(host, what, passwordless, r.stderr);
}
