import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { HostError } from "../errors.js";
import { asRoot, shInline } from "./command.js";
import type { SshConnection } from "./connection.js";

export interface UploadSpec {
  /** Absolute destination path on the host. */
  dest: string;
  /** The bytes to write, or a local file to send (large binaries: sent with parallel SFTP writes). */
  content: Buffer | string | { localPath: string; sha256: string };
  /** Octal mode, e.g. "0644". */
  mode: string;
  owner?: string;
  group?: string;
  /** The remote file's sha256 when already known (gathered in one round trip); skips asking again. */
  remoteSha256?: string | null;
}

export interface UploadResult {
  changed: boolean;
  sha256: string;
}

export function sha256(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex");
}

// Moves the staged file into place atomically (rename within the destination's folder), with mode and owner.
// A staged file sent gzipped ($6 = gz) is unpacked first (gzip is on every Debian/Ubuntu: Priority required).
const INSTALL_SCRIPT = `set -e
tmp="$5.np-tmp.$$"
if [ "$6" = gz ]; then gunzip -c "$4" > "$4.raw"; mv -f "$4.raw" "$4"; fi
install -m "$1" -o "$2" -g "$3" "$4" "$tmp"
mv -f "$tmp" "$5"
rm -f "$4"`;

const gzipped = new Map<string, Promise<string>>();

/**
 * A gzip copy of a large local file, made once beside it and shared by every host's upload: binaries shrink to
 * about a third, and on a busy operator machine SSH encryption, not the network, is what limits uploads.
 */
function gzipCopy(localPath: string): Promise<string> {
  let made = gzipped.get(localPath);
  if (!made) {
    made = (async () => {
      const gz = `${localPath}.gz`;
      // Made by an earlier run from this very file; a damaged copy fails gunzip's CRC or the sha256 check
      // np makes after installing.
      const [src, have] = await Promise.all([stat(localPath), stat(gz).catch(() => null)]);
      if (have && have.size > 0 && have.mtimeMs >= src.mtimeMs) return gz;
      const tmp = `${gz}.${process.pid}.tmp`;
      await pipeline(createReadStream(localPath), createGzip({ level: 6 }), createWriteStream(tmp));
      await rename(tmp, gz);
      return gz;
    })();
    gzipped.set(localPath, made);
  }
  return made;
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
 * Uploads a file: SFTP to a private temporary name, then an atomic rename into place with mode and owner.
 * Skipped when the remote sha256 already matches.
 */
export async function upload(conn: SshConnection, spec: UploadSpec): Promise<UploadResult> {
  const local = typeof spec.content === "object" && "localPath" in spec.content ? spec.content : undefined;
  const want = local ? local.sha256 : sha256(spec.content as Buffer | string);
  const have = spec.remoteSha256 !== undefined ? spec.remoteSha256 : await remoteSha256(conn, spec.dest);
  if (have === want) return { changed: false, sha256: want };
  const staged = `/tmp/.np-upload-${randomBytes(8).toString("hex")}-${path.basename(spec.dest)}`;
  const send = local ? await gzipCopy(local.localPath) : undefined;
  const sftp = await conn.sftp();
  try {
    await new Promise<void>((resolve, reject) => {
      const done = (err: Error | null | undefined) => (err ? reject(err) : resolve());
      if (send) sftp.fastPut(send, staged, { mode: 0o600 }, done);
      else sftp.writeFile(staged, spec.content as Buffer | string, { mode: 0o600 }, done);
    });
  } catch (err) {
    throw new HostError(conn.name, `upload of ${spec.dest} failed: ${(err as Error).message}`);
  } finally {
    sftp.end();
  }
  await conn.run(
    asRoot(
      shInline(INSTALL_SCRIPT, [
        spec.mode,
        spec.owner ?? "root",
        spec.group ?? spec.owner ?? "root",
        staged,
        spec.dest,
        send ? "gz" : "plain",
      ]),
      conn.endpoint.ssh.user,
    ),
  );
  return { changed: true, sha256: want };
}
