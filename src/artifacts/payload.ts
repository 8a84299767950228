import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { Semaphore } from "../remote/semaphore.js";
import { fileSize, writeFileAtomic } from "./cache.js";
import { checksumMismatch, hashFile, sha256Hex } from "./checksums.js";
import { createHttpClient, downloadToFile } from "./download.js";
import { extractBinary } from "./extract.js";
import { recordPathOf, writeRecord } from "./extraction-record.js";
import { corruptCache, readVerified } from "./fetch-one.js";
import { releaseFiles } from "./layout.js";
import type { FetchedArtifact } from "./types.js";

/** The bytes np sends to a host for one artifact: the executable gzipped, and what it must hash to once unpacked. */
export interface UploadPayload {
  /** sha256 of the executable, derived from the archive in this run (never read from a record). */
  sha256: string;
  size: number;
  gzip: Uint8Array;
}

/** Options of `verifiedPayload`. */
export interface PayloadOptions {
  /** A corrupt cache entry, named as np heals it. */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

const payloads = new WeakMap<FetchedArtifact, Promise<UploadPayload>>();
// Each holds an archive, its executable and a gzip copy in memory, and is CPU-bound: one at a time.
const preparing = new Semaphore(1);

/**
 * The payload to install `artifact` on hosts, made once per fetched artifact (every host of a run shares it).
 * Nothing in it comes from the cache unchecked: the archive is read and hashed against the sha256 of the
 * checksums verified in this run (a corrupt cached copy is downloaded again), the executable is extracted from
 * those bytes and hashed, and the cached gzip copy is used only if it unpacks to exactly that executable
 * (otherwise it is rebuilt). The cached executable and its record are repaired when they disagree.
 */
export function verifiedPayload(
  artifact: FetchedArtifact,
  opts: PayloadOptions = {},
): Promise<UploadPayload> {
  let made = payloads.get(artifact);
  if (!made) {
    made = preparing.use(() => prepare(artifact, opts.onWarning ?? (() => {}), opts.signal));
    payloads.set(artifact, made);
    // A failure is not remembered: a later call (the next host, or a retry) tries again.
    made.catch(() => payloads.delete(artifact));
  }
  return made;
}

async function prepare(
  a: FetchedArtifact,
  warn: (message: string) => void,
  signal?: AbortSignal,
): Promise<UploadPayload> {
  const files = releaseFiles(a);
  // Checksums np's record vouched for are verified now: what is sent always rests on a signature checked in this run.
  await a.confirmChecksums?.();
  const archive = await verifiedArchiveBytes(a, warn, signal);
  const binary = extractBinary(files, archive);
  const sha256 = sha256Hex(binary);
  await repairCachedBinary(a, binary, sha256, warn);
  return { sha256, size: binary.length, gzip: await gzipCopy(`${a.binaryPath}.gz`, binary, sha256, warn) };
}

/**
 * The record is np's own bookkeeping, trusted only to skip work on runs that install nothing: a record that
 * claimed another sha256, or a cached executable that is not its archive's, is named and rewritten here.
 */
async function repairCachedBinary(
  a: FetchedArtifact,
  binary: Uint8Array,
  sha256: string,
  warn: (message: string) => void,
): Promise<void> {
  const rebuild = "rebuilding it from the verified archive" as const;
  const existing =
    (await fileSize(a.binaryPath)) === undefined ? undefined : (await hashFile(a.binaryPath)).sha256;
  if (sha256 !== a.binarySha256) warn(corruptCache(recordPathOf(a.binaryPath), rebuild));
  if (existing !== undefined && existing !== sha256) warn(corruptCache(a.binaryPath, rebuild));
  if (existing !== sha256) await writeFileAtomic(a.binaryPath, binary, 0o755);
  if (existing !== sha256 || sha256 !== a.binarySha256)
    await writeRecord(
      a.binaryPath,
      { path: a.archivePath, sha256: a.archiveSha256 },
      { sha256, size: binary.length },
    );
}

/** The archive's bytes, hashed now; a corrupt cached copy is downloaded again, a corrupt `dir` file refused. */
async function verifiedArchiveBytes(
  a: FetchedArtifact,
  warn: (message: string) => void,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const files = releaseFiles(a);
  const local = { path: a.archivePath, sha256: a.archiveSha256 };
  const bytes = await readFile(a.archivePath).catch(() => undefined);
  if (bytes && sha256Hex(bytes) === a.archiveSha256) return bytes;
  if (!a.archiveUrl)
    throw checksumMismatch(files, bytes ? sha256Hex(bytes) : "missing", a.archiveSha256, a.archivePath);
  warn(corruptCache(a.archivePath, "re-fetching it"));
  const http = createHttpClient();
  try {
    await downloadToFile(a.archiveUrl, a.archivePath, { http, ...(signal && { signal }) }, (actual) => {
      if (actual !== a.archiveSha256) throw checksumMismatch(files, actual, a.archiveSha256);
    });
  } finally {
    await http.close();
  }
  return readVerified(local, files);
}

/**
 * The gzip copy beside the cached executable, checked by unpacking it: used only when it unpacks to exactly the
 * executable; otherwise (and when missing) made again from the verified bytes.
 */
async function gzipCopy(
  file: string,
  binary: Uint8Array,
  sha256: string,
  warn: (message: string) => void,
): Promise<Uint8Array> {
  if ((await fileSize(file)) !== undefined) {
    const have = await readFile(file);
    const unpacked = await promisify(gunzip)(have).catch(() => undefined);
    if (unpacked && sha256Hex(unpacked) === sha256) return have;
    warn(corruptCache(file, "rebuilding it from the verified archive"));
  }
  // Level 6: binaries shrink to about a third; SSH encryption, not the network, limits uploads.
  const made = await promisify(gzip)(binary, { level: 6 });
  await writeFileAtomic(file, made, 0o644);
  return made;
}
