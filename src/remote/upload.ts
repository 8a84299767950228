import { createHash } from "node:crypto";
import type { SFTPWrapper } from "ssh2";
import { HostError } from "../errors.js";
import { asRoot, shInline } from "./command.js";
import type { SshConnection } from "./connection.js";
import {
  AFTER_FAILED_STAGING_SCRIPT,
  INSTALL_SCRIPT,
  type InstallTarget,
  installFailure,
  noSpace,
  REMOVE_STALE_STAGED_SCRIPT,
  RUN_ID,
  STAGING_DIR,
  stagedPath,
  stagingRanOutOfSpace,
} from "./staged-install.js";

/** A large file sent gzipped and unpacked on the host; `sha256` and `size` are those of the unpacked bytes. */
export interface GzipContent {
  gzip: Uint8Array;
  sha256: string;
  size: number;
}

export interface UploadSpec {
  /** Absolute destination path on the host. */
  dest: string;
  /** The bytes to write, or a gzip payload (large binaries, e.g. from `verifiedPayload`). */
  content: Buffer | string | GzipContent;
  /** Octal mode, e.g. "0644". */
  mode: string;
  owner?: string;
  group?: string;
  /** The remote file's sha256 when already known (gathered in one round trip); skips asking again. */
  remoteSha256?: string | null;
  /** Told about files of dead runs that np removed from the host before staging. */
  log?: (message: string) => void;
}

export interface UploadResult {
  changed: boolean;
  sha256: string;
}

export function sha256(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Reads the sha256 of a remote file, or null when it does not exist. */
export async function remoteSha256(conn: SshConnection, file: string): Promise<string | null> {
  const user = conn.endpoint.ssh.user;
  const r = await conn.exec(asRoot(shInline('[ -f "$1" ] || exit 3; sha256sum "$1"', [file]), user));
  if (r.code === 3) return null;
  if (r.code !== 0) throw new HostError(conn.name, `cannot read ${file}: ${r.stderr.trim()}`);
  return r.stdout.split(/\s/)[0] ?? null;
}

/**
 * Uploads a file, skipped when the remote sha256 already matches. The bytes are staged over SFTP in a private
 * (0600) file in /tmp, then unpacked beside the destination, hashed on the host, and renamed into place only if
 * the sha256 is the expected one: a file that differs never reaches its path. A full disk is reported with its
 * folder and the size needed; partial and staged files are removed on every failure, and files that dead runs
 * left are removed before the first upload of a run to the host.
 */
export async function upload(conn: SshConnection, spec: UploadSpec): Promise<UploadResult> {
  const gz = isGzip(spec.content) ? spec.content : undefined;
  const bytes = gz ? gz.gzip : Buffer.from(spec.content as Buffer | string);
  const want = gz ? gz.sha256 : sha256(bytes as Buffer);
  const have = spec.remoteSha256 !== undefined ? spec.remoteSha256 : await remoteSha256(conn, spec.dest);
  if (have === want) return { changed: false, sha256: want };
  const target: InstallTarget = {
    host: conn.name,
    dest: spec.dest,
    stagedSize: bytes.length,
    size: gz ? gz.size : bytes.length,
  };
  await removeStaleStaged(conn, spec.log);
  const staged = stagedPath(spec.dest, gz !== undefined);
  await stage(conn, staged, bytes, target);
  const r = await conn.exec(
    asRoot(
      shInline(INSTALL_SCRIPT, [
        spec.mode,
        spec.owner ?? "root",
        spec.group ?? spec.owner ?? "root",
        staged,
        spec.dest,
        gz ? "gz" : "plain",
        want,
        RUN_ID,
      ]),
      conn.endpoint.ssh.user,
    ),
  );
  const failure = installFailure(target, r, want);
  if (failure) throw failure;
  return { changed: true, sha256: want };
}

function isGzip(content: UploadSpec["content"]): content is GzipContent {
  return typeof content === "object" && "gzip" in content;
}

const cleaned = new WeakMap<SshConnection, Promise<void>>();

/** Once per connection (one run), before its first staging: removes what dead runs left in /tmp. */
function removeStaleStaged(conn: SshConnection, log?: (message: string) => void): Promise<void> {
  let done = cleaned.get(conn);
  if (!done) {
    done = (async () => {
      const r = await conn.exec(
        asRoot(shInline(REMOVE_STALE_STAGED_SCRIPT, [RUN_ID]), conn.endpoint.ssh.user),
      );
      const removed = r.stdout.split("\n").filter(Boolean);
      const files = removed.length === 1 ? "the file" : `the ${removed.length} files`;
      if (removed.length > 0)
        log?.(`removed ${files} an interrupted np run left in ${STAGING_DIR}: ${removed.join(", ")}`);
    })();
    cleaned.set(conn, done);
    done.catch(() => cleaned.delete(conn));
  }
  return done;
}

/** Writes the staged file; on failure removes what was written and says whether the disk was full. */
async function stage(
  conn: SshConnection,
  staged: string,
  bytes: Uint8Array,
  t: InstallTarget,
): Promise<void> {
  try {
    const sftp = await conn.sftp();
    try {
      await writeNewFile(sftp, staged, bytes);
    } finally {
      sftp.end();
    }
  } catch (err) {
    // A HostError's message starts with the host's name; the reason alone goes into the new message.
    const reason = (err as Error).message.replace(`${conn.name}: `, "");
    let output: string;
    try {
      const argv = asRoot(
        shInline(AFTER_FAILED_STAGING_SCRIPT, [staged, STAGING_DIR]),
        conn.endpoint.ssh.user,
      );
      output = (await conn.run(argv)).stdout;
    } catch {
      throw new HostError(
        conn.name,
        `upload of ${t.dest} failed: ${reason}`,
        `run the command again: it removes the partial ${staged} first`,
      );
    }
    if (stagingRanOutOfSpace(output, bytes.length)) throw noSpace(t, STAGING_DIR, "staging");
    throw new HostError(
      conn.name,
      `upload of ${t.dest} failed: ${reason} (np removed the partial ${staged})`,
    );
  }
}

/** SFTP write size and how many writes are in flight at once (as ssh2's fastPut). */
const CHUNK = 32 * 1024;
const IN_FLIGHT = 64;

/**
 * Creates `file` (exclusively, mode 0600 from the start: a staged config may hold a secret) and writes `data`
 * with many SFTP writes in flight, as ssh2's fastPut does from a local file.
 */
function writeNewFile(sftp: SFTPWrapper, file: string, data: Uint8Array): Promise<void> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return new Promise((resolve, reject) => {
    sftp.open(file, "wx", { mode: 0o600 }, (openErr, handle) => {
      if (openErr) return reject(openErr);
      let next = 0;
      let inFlight = 0;
      let failed: Error | undefined;
      const finish = () =>
        sftp.close(handle, (closeErr) => {
          const err = failed ?? closeErr;
          if (err) reject(err);
          else resolve();
        });
      const pump = () => {
        while (!failed && inFlight < IN_FLIGHT && next < buf.length) {
          const at = next;
          const len = Math.min(CHUNK, buf.length - at);
          next += len;
          inFlight++;
          sftp.write(handle, buf, at, len, at, (err) => {
            inFlight--;
            failed ??= err ?? undefined;
            if (!failed && next < buf.length) pump();
            else if (inFlight === 0) finish();
          });
        }
      };
      if (buf.length === 0) finish();
      else pump();
    });
  });
}
