import os from "node:os";
import { PassThrough } from "node:stream";
import { HostError, OperationError } from "../errors.js";
import type { HostSpec } from "../inventory/index.js";
import { asRoot, shInline } from "../remote/command.js";
import type { SshConnection } from "../remote/connection.js";
import type { Session } from "../remote/session.js";

/**
 * The cluster lock: np holds `flock` on LOCK_FILE on a MAJORITY of the servers for as long as its run lasts.
 * - Two runs can never both hold it: two majorities of the same servers always share one, and flock on that
 *   server admits one holder. A cluster with a server down can still be locked (and so repaired).
 * - It is held by a process on each server that lives only as long as np's SSH channel: a run that ends, is
 *   interrupted or is killed (SIGKILL) releases it at once; a run cut off by the network releases it once its
 *   heartbeat (a line every HEARTBEAT_MS) has been silent for HOLD_TIMEOUT_S. No stale lock is ever left behind.
 */
export const LOCK_FILE = "/var/lib/np/cluster.lock";
const HEARTBEAT_MS = 5000;
const HOLD_TIMEOUT_S = 30;

// $1 lock file, $2 holder (JSON), $3 seconds of heartbeat silence after which the holder counts as gone.
// Prints "locked" once held; exit 3 with the holder's line when another run holds it. Each heartbeat is a line:
// the shell's own read takes it (two processes a beat, where a pipeline of head and wc took four or five, paid
// on every server by every run); a closed stdin or a silent one ends the hold.
export const HOLD = `mkdir -p "\${1%/*}" || exit 1
exec 9>>"$1" || exit 1
if ! flock -n 9; then cat "$1"; exit 3; fi
printf '%s %s\\n' "$$" "$2" > "$1"
echo locked
while timeout "$3" sh -c 'read -r _'; do :; done
: > "$1"`;

// Prints the holder line, or exits 4 when nobody holds the lock.
const READ = `[ -e "$1" ] || exit 4
exec 9<"$1" || exit 1
if flock -n 9; then exit 4; fi
cat "$1"`;

// Ends every process holding the lock file open (the holder's shell and its children, which inherit the
// descriptor flock is held on); exit 4 when nobody holds the lock.
const BREAK = `exec 9<"$1" 2>/dev/null || exit 4
if flock -n 9; then exit 4; fi
exec 9<&-
for p in /proc/[0-9]*; do
  [ "\${p#/proc/}" = "$$" ] && continue
  for fd in "$p"/fd/*; do
    if [ "$(readlink "$fd" 2>/dev/null)" = "$1" ]; then kill -TERM "\${p#/proc/}" 2>/dev/null; break; fi
  done
done
sleep 0.5
exec 9<"$1"
flock -n 9 || { echo "still held" >&2; exit 5; }`;

export interface LockHolder {
  by: string;
  pid: number;
  command: string;
  since: string;
}

export function describeHolder(h: LockHolder | null): string {
  if (!h) return "an unknown holder";
  return `${h.by} (pid ${h.pid}, \`${h.command}\`) since ${h.since}`;
}

/** "<remote pid> <holder JSON>" → the holder. */
export function parseHolder(line: string): LockHolder | null {
  const json = line.trim().replace(/^\d+ /, "");
  try {
    return JSON.parse(json) as LockHolder;
  } catch {
    return null;
  }
}

/** Servers needed for a majority of n. */
export const majorityOf = (n: number) => Math.floor(n / 2) + 1;

/** One server's part of a held lock. */
interface HeldPart {
  host: string;
  heartbeat: PassThrough;
  timer: NodeJS.Timeout;
  done: Promise<unknown>;
}

/** A cluster lock np holds; `release()` ends every holder process and says where that failed. */
export class ClusterLock {
  constructor(private readonly parts: HeldPart[]) {}

  /** The servers holding np's lock. */
  get hosts(): string[] {
    return this.parts.map((p) => p.host);
  }

  /** Releases every part; returns the hosts where that could not be confirmed (the lock frees itself there). */
  async release(): Promise<string[]> {
    const failed: string[] = [];
    await Promise.all(
      this.parts.map(async (p) => {
        clearInterval(p.timer);
        p.heartbeat.end();
        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([
          p.done.then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((res) => {
            timer = setTimeout(() => res(false), 10_000);
          }),
        ]);
        // A timer left running would keep np alive for its 10 s after everything else is done.
        clearTimeout(timer);
        if (!r) failed.push(p.host);
      }),
    );
    return failed;
  }
}

type Attempt =
  | { host: string; part: HeldPart }
  | { host: string; holder: LockHolder | null }
  | { host: string; error: string };

/** Takes the lock on one server: resolves once it is held, or with who holds it, or with why not. */
async function takeOn(conn: SshConnection, holder: LockHolder): Promise<Attempt> {
  const heartbeat = new PassThrough();
  let out = "";
  let resolveLocked: (held: boolean) => void = () => {};
  const locked = new Promise<boolean>((res) => {
    resolveLocked = res;
  });
  const done = conn.exec(
    asRoot(
      shInline(HOLD, [LOCK_FILE, JSON.stringify(holder), String(HOLD_TIMEOUT_S)]),
      conn.endpoint.ssh.user,
    ),
    {
      stdin: heartbeat,
      onStdout: (c) => {
        out += c.toString();
        if (out.includes("locked\n")) resolveLocked(true);
      },
      doing: "taking the cluster lock",
    },
  );
  done.then(
    () => resolveLocked(false),
    () => resolveLocked(false),
  );
  if (await locked) {
    const timer = setInterval(() => heartbeat.write("\n"), HEARTBEAT_MS);
    timer.unref();
    return { host: conn.name, part: { host: conn.name, heartbeat, timer, done } };
  }
  const r = await done.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (r instanceof Error) return { host: conn.name, error: r.message.replace(`${conn.name}: `, "") };
  if (r.code === 3) return { host: conn.name, holder: parseHolder(r.stdout) };
  return { host: conn.name, error: r.stderr.trim() || `exit ${r.code}` };
}

const me = () => `${os.userInfo().username}@${os.hostname()}`;

/**
 * Takes the cluster lock on a majority of the servers, or fails naming who holds it (or which servers could not
 * be reached). Parts taken when no majority can be had are released at once.
 */
export async function acquireClusterLock(
  session: Session,
  servers: readonly HostSpec[],
  command: string,
): Promise<ClusterLock> {
  const holder: LockHolder = { by: me(), pid: process.pid, command, since: new Date().toISOString() };
  const attempts = await Promise.all(
    servers.map(async (s): Promise<Attempt> => {
      try {
        return await takeOn(await session.connect(s), holder);
      } catch (err) {
        const msg =
          err instanceof HostError ? err.message.replace(`${s.name}: `, "") : (err as Error).message;
        return { host: s.name, error: msg };
      }
    }),
  );
  const held = attempts.flatMap((a) => ("part" in a ? [a.part] : []));
  const need = majorityOf(servers.length);
  if (held.length >= need) return new ClusterLock(held);
  await new ClusterLock(held).release();
  const holders = attempts.flatMap((a) => ("holder" in a ? [a] : []));
  if (holders.length > 0) {
    const who = describeHolder(holders[0]?.holder ?? null);
    throw new OperationError(
      `the cluster is locked by ${who} (lock ${LOCK_FILE} on ${holders.map((h) => h.host).join(", ")})`,
      "another np run is changing the cluster; wait for it to finish. A run that died frees the lock by itself (within 30 s after a network cut); `np unlock --yes` ends a stuck one",
    );
  }
  const errors = attempts.flatMap((a) => ("error" in a ? [`${a.host}: ${a.error}`] : []));
  throw new OperationError(
    `cannot take the cluster lock: it needs ${need} of ${servers.length} servers and np holds it on ${held.length}:\n${errors.map((e) => ` - ${e}`).join("\n")}`,
    "np needs a majority of the servers reachable to change the cluster safely",
  );
}

/** Who holds the lock on one server: a holder, or "free". */
export async function readLock(conn: SshConnection): Promise<LockHolder | null | "free"> {
  const r = await conn.exec(asRoot(shInline(READ, [LOCK_FILE]), conn.endpoint.ssh.user));
  if (r.code === 4) return "free";
  if (r.code !== 0) throw new HostError(conn.name, `cannot read the cluster lock: ${r.stderr.trim()}`);
  return parseHolder(r.stdout);
}

/** Ends the np run holding the lock on this server (`np unlock --yes`); false when nobody held it. */
export async function breakLock(conn: SshConnection): Promise<boolean> {
  const r = await conn.exec(asRoot(shInline(BREAK, [LOCK_FILE]), conn.endpoint.ssh.user));
  if (r.code === 4) return false;
  if (r.code !== 0)
    throw new HostError(conn.name, `cannot release the cluster lock: ${r.stderr.trim() || `exit ${r.code}`}`);
  return true;
}
