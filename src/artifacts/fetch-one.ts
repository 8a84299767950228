import { chmod, readFile, rm, stat } from "node:fs/promises";
import { OperationError } from "../errors.js";
import { cachePath, fileSize, writeFileAtomic } from "./cache.js";
import { checksumMismatch, expectedSha256, hashFile, sha256Hex } from "./checksums.js";
import { downloadToFile, MissingArtifactFile } from "./download.js";
import { extractBinary } from "./extract.js";
import { formatSize } from "./format-size.js";
import { locate, type ReleaseFiles, releaseFiles } from "./layout.js";
import type { ArtifactRequest, FetchedArtifact } from "./types.js";
import type { FetchContext, VerifiedChecksums } from "./verified-checksums.js";

/** An archive on local disk; `sha256` is set when it was just hashed and matched its checksums line. */
export interface LocalArchive {
  path: string;
  sha256?: string;
}

/**
 * Makes sure the archive of `req` is on local disk and matches its verified checksums: the `dir` source's own
 * file, or a cached copy (downloaded again when it does not match).
 */
export async function verifiedArchive(
  ctx: FetchContext,
  req: ArtifactRequest,
  sums: VerifiedChecksums,
): Promise<LocalArchive> {
  const files = releaseFiles(req);
  const expected = expectedSha256(files, sums.text);
  const location = locate(ctx.settings, req.product, req.version, files.archive);
  if (location.kind === "file") {
    if ((await fileSize(location.path)) === undefined)
      throw new MissingArtifactFile(
        `not found: ${location.path}`,
        "fill the folder with `np artifacts fetch --dir DIR` on a machine that has internet access",
      );
    return { path: location.path };
  }
  const cached = cachePath(ctx.cacheDir, req.product, req.version, files.archive);
  if ((await fileSize(cached)) !== undefined) {
    if ((await hashFile(cached)).sha256 === expected) {
      ctx.progress(`${files.archive}: in the cache, sha256 matches ${files.checksums}`);
      return { path: cached, sha256: expected };
    }
    ctx.progress(`${files.archive}: the cached copy does not match ${files.checksums}; downloading it again`);
    await rm(cached, { force: true });
  }
  ctx.progress(`downloading ${location.url}`);
  const { size } = await downloadToFile(location.url, cached, ctx, (actual) => {
    if (actual !== expected) throw checksumMismatch(files, actual, expected);
  });
  ctx.progress(`${files.archive}: downloaded ${formatSize(size)}, sha256 matches ${files.checksums}`);
  return { path: cached, sha256: expected };
}

/**
 * Reads the archive, checks its sha256 once more (the bytes extracted are the bytes verified), and puts its
 * executable in the cache (rewritten only when it differs). A record beside the executable remembers which
 * verified archive it came from: while the archive still matches its checksums and the executable is unchanged
 * (size and mtime), a later run skips extracting it again, which keeps a no-op `np up` fast.
 */
export async function extractToCache(
  ctx: FetchContext,
  req: ArtifactRequest,
  sums: VerifiedChecksums,
  local: LocalArchive,
): Promise<FetchedArtifact> {
  const files = releaseFiles(req);
  const expected = expectedSha256(files, sums.text);
  const archivePath = local.path;
  const binaryPath = cachePath(ctx.cacheDir, req.product, req.version, archiveStem(files), files.entry);
  const extracted = await readExtraction(binaryPath, expected);
  if (extracted) {
    const archiveSha256 = local.sha256 ?? (await hashFile(archivePath)).sha256;
    if (archiveSha256 !== expected) throw checksumMismatch(files, archiveSha256, expected);
    const { binarySha256, binarySize } = extracted;
    return fetchedArtifact(req, sums, { archivePath, archiveSha256, binaryPath, binarySha256, binarySize });
  }
  let archive: Uint8Array;
  try {
    archive = await readFile(archivePath);
  } catch (err) {
    throw new OperationError(`cannot read ${archivePath}: ${(err as Error).message}`);
  }
  const archiveSha256 = sha256Hex(archive);
  if (archiveSha256 !== expected) throw checksumMismatch(files, archiveSha256, expected);
  const binary = extractBinary(files, archive);
  const binarySha256 = sha256Hex(binary);
  if (await sameFile(binaryPath, binary.length, binarySha256)) await chmod(binaryPath, 0o755);
  else await writeFileAtomic(binaryPath, binary, 0o755);
  await writeExtraction(binaryPath, { archiveSha256, binarySha256, binarySize: binary.length });
  return fetchedArtifact(req, sums, {
    archivePath,
    archiveSha256,
    binaryPath,
    binarySha256,
    binarySize: binary.length,
  });
}

function fetchedArtifact(
  req: ArtifactRequest,
  sums: VerifiedChecksums,
  f: {
    archivePath: string;
    archiveSha256: string;
    binaryPath: string;
    binarySha256: string;
    binarySize: number;
  },
): FetchedArtifact {
  return {
    ...req,
    archivePath: f.archivePath,
    archiveSha256: f.archiveSha256,
    binaryPath: f.binaryPath,
    binarySha256: f.binarySha256,
    binarySize: f.binarySize,
    checksumsPath: sums.path,
    ...(sums.signaturePath && { signaturePath: sums.signaturePath }),
  };
}

/** `nomad_1.10.5_linux_amd64.zip` → `nomad_1.10.5_linux_amd64`: one cache folder per extracted archive. */
function archiveStem(files: ReleaseFiles): string {
  return files.archive.replace(/\.(zip|tar\.gz)$/, "");
}

async function sameFile(file: string, size: number, sha256: string): Promise<boolean> {
  if ((await fileSize(file)) !== size) return false;
  return (await hashFile(file)).sha256 === sha256;
}

/** What the record beside an extracted executable says. */
interface Extraction {
  archiveSha256: string;
  binarySha256: string;
  binarySize: number;
  binaryMtimeMs: number;
}

const recordOf = (binaryPath: string) => `${binaryPath}.extracted.json`;

/** The record of an earlier extraction of this archive, if the executable is still as it was written. */
async function readExtraction(binaryPath: string, archiveSha256: string): Promise<Extraction | null> {
  try {
    const record = JSON.parse(await readFile(recordOf(binaryPath), "utf8")) as Extraction;
    const st = await stat(binaryPath);
    const same =
      record.archiveSha256 === archiveSha256 &&
      st.size === record.binarySize &&
      st.mtimeMs === record.binaryMtimeMs;
    return same && (st.mode & 0o777) === 0o755 ? record : null;
  } catch {
    return null;
  }
}

async function writeExtraction(binaryPath: string, e: Omit<Extraction, "binaryMtimeMs">): Promise<void> {
  const { mtimeMs } = await stat(binaryPath);
  const record: Extraction = { ...e, binaryMtimeMs: mtimeMs };
  await writeFileAtomic(recordOf(binaryPath), new TextEncoder().encode(`${JSON.stringify(record)}\n`), 0o644);
}
