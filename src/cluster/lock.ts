import os from "node:os";
import { OperationError } from "../errors.js";
import { asRoot, shInline } from "../remote/command.js";
import type { SshConnection } from "../remote/connection.js";

/** The cluster lock lives on the first server; `mkdir` creates it atomically. */
export const LOCK_DIR = "/var/lib/np/lock";

export interface LockHolder {
  by: string;
  pid: number;
  command: string;
  since: string;
}

const TAKE = `mkdir -p "$(dirname "$1")" || exit 1
if mkdir "$1" 2>/dev/null; then printf '%s\\n' "$2" > "$1/holder"; exit 0; fi
cat "$1/holder" 2>/dev/null; exit 3`;

/** After this long a lock is called stale in messages (an `np up` takes minutes, not hours). */
const STALE_MS = 60 * 60 * 1000;

export function describeHolder(h: LockHolder | null, now = Date.now()): string {
  if (!h) return "an unknown holder";
  const age = now - Date.parse(h.since);
  const stale = age > STALE_MS ? ` — stale (${Math.round(age / 60000)} minutes old)` : "";
  return `${h.by} (pid ${h.pid}, \`${h.command}\`) since ${h.since}${stale}`;
}

function parseHolder(text: string): LockHolder | null {
  try {
    return JSON.parse(text) as LockHolder;
  } catch {
    return null;
  }
}

const me = () => `${os.userInfo().username}@${os.hostname()}`;

/** True when the holder is an np process on this machine that no longer runs (Ctrl-C, crash, lost session). */
function isOwnDeadHolder(h: LockHolder | null, alive: (pid: number) => boolean = pidAlive): boolean {
  return h !== null && h.by === me() && h.pid !== process.pid && !alive(h.pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the cluster lock, or fails naming who holds it and how to release a stale one. A lock left by a dead np
 * process of this same machine (an interrupted run) is taken over, with a warning.
 */
export async function acquireLock(
  conn: SshConnection,
  command: string,
  warn: (m: string) => void = () => {},
): Promise<void> {
  const holder: LockHolder = { by: me(), pid: process.pid, command, since: new Date().toISOString() };
  const take = () =>
    conn.exec(asRoot(shInline(TAKE, [LOCK_DIR, JSON.stringify(holder)]), conn.endpoint.ssh.user));
  let r = await take();
  if (r.code === 3 && isOwnDeadHolder(parseHolder(r.stdout.trim()))) {
    warn(
      `${conn.name}: taking over the lock of an interrupted run: ${describeHolder(parseHolder(r.stdout.trim()))}`,
    );
    await releaseLock(conn);
    r = await take();
  }
  if (r.code === 0) return;
  if (r.code === 3) {
    throw new OperationError(
      `the cluster is locked by ${describeHolder(parseHolder(r.stdout.trim()))} (lock ${LOCK_DIR} on ${conn.name})`,
      "another np run is changing the cluster; wait for it. If that run is dead, release the lock with `np unlock`",
    );
  }
  throw new OperationError(`${conn.name}: cannot take the cluster lock: ${r.stderr.trim()}`);
}

/** Who holds the lock, or null when it is free. */
export async function readLock(conn: SshConnection): Promise<LockHolder | null | "free"> {
  const r = await conn.exec(
    asRoot(
      shInline('[ -d "$1" ] || exit 4; cat "$1/holder" 2>/dev/null', [LOCK_DIR]),
      conn.endpoint.ssh.user,
    ),
  );
  if (r.code === 4) return "free";
  return parseHolder(r.stdout.trim());
}

/** Releases the lock (np's own at the end of a run, or a stale one with `np unlock`). */
export async function releaseLock(conn: SshConnection): Promise<void> {
  await conn.run(asRoot(["rm", "-rf", LOCK_DIR], conn.endpoint.ssh.user));
}
