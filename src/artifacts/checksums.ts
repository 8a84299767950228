import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { OperationError } from "../errors.js";
import type { ReleaseFiles } from "./layout.js";

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Parses a `sha256sum` style file (`<sha256>  <file>` per line, `*<file>` for binary mode), as HashiCorp's
 * SHA256SUMS and goreleaser's checksums.txt are. Returns file name → lowercase hex hash.
 */
export function parseSha256Sums(text: string, name: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const m = /^([0-9a-fA-F]{64}) [ *]?(\S.*)$/.exec(line.trim());
    if (!m?.[1] || !m[2])
      throw new OperationError(`${name}:${index + 1}: not a "<sha256>  <file>" line: ${line}`);
    sums.set(m[2].trim(), m[1].toLowerCase());
  });
  return sums;
}

/** The archive's expected sha256 according to its checksums file (whose text is `text`). */
export function expectedSha256(files: ReleaseFiles, text: string): string {
  if (files.checksumsKind === "single") {
    // OpenObserve's `<asset>.sha256sum` holds only the hash; accept `<hash>  <asset>` too.
    const [hash, file, ...rest] = text.trim().split(/\s+/);
    const fileOk = file === undefined || file.replace(/^\*/, "") === files.archive;
    if (hash && SHA256.test(hash.toLowerCase()) && fileOk && rest.length === 0) return hash.toLowerCase();
    throw new OperationError(`${files.checksums} does not hold a sha256 hash for ${files.archive}`);
  }
  const hash = parseSha256Sums(text, files.checksums).get(files.archive);
  if (!hash)
    throw new OperationError(
      `${files.checksums} has no line for ${files.archive}`,
      "check the version and architecture: this release may not exist for this platform",
    );
  return hash;
}

/**
 * The refusal when an archive's hash differs from its checksums file: names the file and both hashes. `inFolder`
 * is the file's path when it is the user's own (`source: dir`): np never changes or deletes that folder.
 */
export function checksumMismatch(
  files: ReleaseFiles,
  actual: string,
  expected: string,
  inFolder?: string,
): OperationError {
  return new OperationError(
    `${files.archive}: sha256 is ${actual} but ${files.checksums} says ${expected}; refusing to install it`,
    inFolder
      ? `the file is corrupt or was tampered with; it is still at ${inFolder} (np never changes artifacts.dir): ` +
          "replace it with a good copy, e.g. from `np artifacts fetch --dir DIR` on a machine with internet access"
      : "the file was corrupted or tampered with and was not kept; fetch again, or check the mirror",
  );
}

/** Lowercase hex sha256 of bytes. */
export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Lowercase hex sha256 and size of a file, read as a stream. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}
