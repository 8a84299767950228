import { HostError } from "../errors.js";
import type { SshConnection } from "./connection.js";

/**
 * Root access for a non-root login: np needs passwordless sudo and never asks for, echoes or logs a password.
 * Returns nothing when the login is root or `sudo -n true` succeeds.
 */
export async function ensureRoot(conn: SshConnection): Promise<void> {
  const user = conn.endpoint.ssh.user;
  if (user === "root") return;
  const r = await conn.exec(["sudo", "-n", "true"]);
  if (r.code === 0) return;
  if (r.code === 127 || /not found/.test(r.stderr)) {
    throw new HostError(
      conn.name,
      `user ${user} is not root and sudo is not installed`,
      "install sudo on the host or connect as root",
    );
  }
  throw new HostError(
    conn.name,
    `user ${user} needs a password for sudo`,
    `np needs passwordless sudo: add "${user} ALL=(ALL) NOPASSWD:ALL" to /etc/sudoers.d/${user} on the host, or connect as root`,
    r.stderr,
  );
}
