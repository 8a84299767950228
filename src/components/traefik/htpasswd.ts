import { createHash } from "node:crypto";
import { encodeBase64, hashSync } from "bcryptjs";

/**
 * A bcrypt `user:hash` line for Traefik's basicAuth middleware. The salt is derived from the password itself, so
 * the same password always gives the same line: np renders files byte for byte the same on every run (a random
 * salt would rewrite the dynamic config, and show a change, on every `np up`). The password is random (see
 * .np/secrets), so a salt tied to it gives away nothing.
 */
export function htpasswdLine(user: string, password: string): string {
  const seed = createHash("sha256").update(`np traefik basicAuth salt\0${password}`).digest();
  const salt = `$2b$10$${encodeBase64([...seed.subarray(0, 16)], 16)}`;
  return `${user}:${hashSync(password, salt)}`;
}
