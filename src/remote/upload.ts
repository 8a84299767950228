import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
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
const INSTALL_SCRIPT = `set -e
tmp="$5.np-tmp.$$"
install -m "$1" -o "$2" -g "$3" "$4" "$tmp"
mv -f "$tmp" "$5"
rm -f "$4"`;

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
  const sftp = await conn.sftp();
  try {
    await new Promise<void>((resolve, reject) => {
      const done = (err: Error | null | undefined) => (err ? reject(err) : resolve());
      if (local) sftp.fastPut(local.localPath, staged, { mode: 0o600 }, done);
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
      ]),
      conn.endpoint.ssh.user,
    ),
  );
  return { changed: true, sha256: want };
}
