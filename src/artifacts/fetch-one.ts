import { chmod, readFile, rm, stat } from "node:fs/promises";
import { OperationError } from "../errors.js";
import { cachePath, fileSize, writeFileAtomic } from "./cache.js";
import { checksumMismatch, expectedSha256, hashFile, sha256Hex } from "./checksums.js";
import { downloadToFile, MissingArtifactFile } from "./download.js";
import { extractBinary } from "./extract.js";
import { proofHolds, type RecordRead, recordPathOf, writeRecord } from "./extraction-record.js";
import { formatSize } from "./format-size.js";
import { binaryName, describeLocation, locate, type ReleaseFiles, releaseFiles } from "./layout.js";
import type { ArtifactRequest, FetchedArtifact } from "./types.js";
import type { FetchContext, VerifiedChecksums } from "./verified-checksums.js";

/** An archive on local disk whose sha256 matched its verified checksums line. */
export interface LocalArchive {
  path: string;
  sha256: string;
  /** It was not hashed in this run: the record's proof showed it unchanged since it was. */
  proven: boolean;
  /** Where it is downloaded from (not for `source: dir`). */
  url?: string;
}

/** The cached executable of a request: `<cache>/<product>/<version>/<archive stem>/<name>`. */
export function binaryPathFor(cacheDir: string, req: ArtifactRequest): string {
  const files = releaseFiles(req);
  return cachePath(cacheDir, req.product, req.version, archiveStem(files), binaryName(files));
}

/** The message for a cache entry np found damaged and rebuilds. */
export function corruptCache(
  file: string,
  action: "re-fetching it" | "rebuilding it from the verified archive",
) {
  return `local cache at ${file} is corrupt: ${action}`;
}

/**
 * Makes sure the archive of `req` is on local disk and matches its verified checksums: the `dir` source's own
 * file, or a cached copy (downloaded again, with a warning, when it is corrupt). The archive is hashed unless the
 * extraction record proves it unchanged since it was.
 */
export async function verifiedArchive(
  ctx: FetchContext,
  req: ArtifactRequest,
  sums: VerifiedChecksums,
  record: RecordRead,
): Promise<LocalArchive> {
  const files = releaseFiles(req);
  const expected = expectedSha256(files, sums.text);
  const location = locate(ctx.settings, req.product, req.version, files.archive);
  const file =
    location.kind === "file"
      ? location.path
      : cachePath(ctx.cacheDir, req.product, req.version, files.archive);
  const url = location.kind === "url" ? location.url : undefined;
  const local = { path: file, sha256: expected, ...(url && { url }) };
  if ((await fileSize(file)) !== undefined) {
    const r = record.kind === "ok" ? record.record : undefined;
    if (
      r &&
      r.archive.path === file &&
      r.archive.sha256 === expected &&
      (await proofHolds(file, r.archive.proof, r)) === "unchanged"
    )
      return { ...local, proven: true };
    const actual = (await hashFile(file)).sha256;
    if (actual === expected) {
      ctx.progress(`${files.archive}: sha256 matches ${files.checksums}`);
      return { ...local, proven: false };
    }
    if (!url) throw checksumMismatch(files, actual, expected, file);
    if (r?.archive.path === file && r.archive.sha256 === actual)
      ctx.progress(
        `${files.archive}: the cached copy was verified against another ${files.checksums}; downloading it again`,
      );
    else ctx.warn(corruptCache(file, "re-fetching it"));
    await rm(file, { force: true });
  } else if (!url) {
    throw new MissingArtifactFile(
      `not found: ${file}`,
      "fill the folder with `np artifacts fetch --dir DIR` on a machine that has internet access",
    );
  }
  ctx.progress(`downloading ${describeLocation(location)}`);
  const { size } = await downloadToFile(url, file, ctx, (actual) => {
    if (actual !== expected) throw checksumMismatch(files, actual, expected);
  });
  ctx.progress(`${files.archive}: downloaded ${formatSize(size)}, sha256 matches ${files.checksums}`);
  return { ...local, proven: false };
}

/**
 * Puts the archive's executable in the cache and returns the verified artifact. While the extraction record
 * proves the executable unchanged since it was extracted from this very archive, nothing is read or hashed (a
 * no-op `np up` stays fast); otherwise the archive is read, hashed once more (the bytes extracted are the bytes
 * verified), and the executable rewritten when it differs, with a warning when the cache held a wrong one.
 */
export async function extractToCache(
  ctx: FetchContext,
  req: ArtifactRequest,
  sums: VerifiedChecksums,
  local: LocalArchive,
  record: RecordRead,
): Promise<FetchedArtifact> {
  const files = releaseFiles(req);
  const binaryPath = binaryPathFor(ctx.cacheDir, req);
  const artifact = (binarySha256: string, binarySize: number): FetchedArtifact => ({
    ...req,
    archivePath: local.path,
    archiveSha256: local.sha256,
    binaryPath,
    binarySha256,
    binarySize,
    checksumsPath: sums.path,
    ...(sums.signaturePath && { signaturePath: sums.signaturePath }),
    ...(local.url && { archiveUrl: local.url }),
    ...(sums.confirm && { confirmChecksums: sums.confirm }),
  });
  const r = record.kind === "ok" ? record.record : undefined;
  const held =
    r && r.archive.sha256 === local.sha256 ? await proofHolds(binaryPath, r.binary.proof, r) : "changed";
  // A proof taken right after the write (the run that extracted it) is checked once by hashing the executable.
  const same =
    held === "unchanged" ||
    (held === "unsettled" && (await hashFile(binaryPath)).sha256 === r?.binary.sha256);
  if (r && same) {
    // Re-record when anything had to be hashed, so the next run needs no hashing.
    if (!local.proven || held === "unsettled") await writeRecord(binaryPath, local, r.binary);
    return artifact(r.binary.sha256, r.binary.size);
  }
  ctx.progress(`${files.archive}: extracting ${files.entry}`);
  const binary = extractBinary(files, await readVerified(local, files));
  const binarySha256 = sha256Hex(binary);
  await storeBinary(ctx.warn, binaryPath, binary, binarySha256, record, local.sha256);
  await writeRecord(binaryPath, local, { sha256: binarySha256, size: binary.length });
  return artifact(binarySha256, binary.length);
}

/**
 * Writes the verified executable into the cache unless the file there already holds exactly these bytes, and
 * names what was wrong when the cache held something else: an unreadable record, an executable that differs
 * from its archive's, or a record whose sha256 is not the executable's.
 */
export async function storeBinary(
  warn: (message: string) => void,
  binaryPath: string,
  binary: Uint8Array,
  sha256: string,
  record: RecordRead,
  archiveSha256: string,
): Promise<void> {
  const existing =
    (await fileSize(binaryPath)) === undefined ? undefined : (await hashFile(binaryPath)).sha256;
  const r = record.kind === "ok" ? record.record : undefined;
  // A record of another archive (another source, or another build of the same version) is not damage.
  const sameArchive = !r || r.archive.sha256 === archiveSha256;
  const rebuild = "rebuilding it from the verified archive" as const;
  if (record.kind === "corrupt") warn(corruptCache(recordPathOf(binaryPath), rebuild));
  else if (existing !== undefined && existing !== sha256 && sameArchive)
    warn(corruptCache(binaryPath, rebuild));
  else if (r && sameArchive && r.binary.sha256 !== sha256)
    warn(corruptCache(recordPathOf(binaryPath), rebuild));
  if (existing !== sha256) await writeFileAtomic(binaryPath, binary, 0o755);
  // chmod changes the ctime even when the mode stays: only when needed, so the proof taken next still holds.
  else if (((await stat(binaryPath)).mode & 0o777) !== 0o755) await chmod(binaryPath, 0o755);
}

/** Reads an archive and checks its sha256 again: the bytes used are the bytes verified. */
export async function readVerified(local: { path: string; sha256: string }, files: ReleaseFiles) {
  let archive: Uint8Array;
  try {
    archive = await readFile(local.path);
  } catch (err) {
    throw new OperationError(`cannot read ${local.path}: ${(err as Error).message}`);
  }
  const actual = sha256Hex(archive);
  if (actual !== local.sha256) throw checksumMismatch(files, actual, local.sha256);
  return archive;
}

/** `nomad_1.10.5_linux_amd64.zip` → `nomad_1.10.5_linux_amd64`: one cache folder per extracted archive. */
function archiveStem(files: ReleaseFiles): string {
  return files.archive.replace(/\.(zip|tar\.gz)$/, "");
}
