import { readFile } from "node:fs/promises";
import { cachePath, writeFileAtomic } from "./cache.js";
import { PROOF, proofHolds, proofOf } from "./extraction-record.js";
import type { Product } from "./types.js";

/**
 * np's record of a checksums file whose signature verified: the checksums file and the signature that verified
 * it, each by path and proof (device, inode, size, mtime and ctime: see extraction-record.ts), and the trust they
 * verified under (trust.ts). While the record holds, a run reads the checksums without verifying the signature
 * again: OpenPGP (loading it and verifying) was a tenth of a no-op `np up`'s CPU. The record only ever saves work
 * on a run that sends nothing: before anything is sent to a host, the signature is verified again in that run
 * (payload.ts calls the checksums' `confirm`).
 */
interface SignatureRecord {
  format: 1;
  checksums: { path: string; proof: string };
  signature: { path: string; proof: string };
  trust: string;
  /** When the verified bytes were read (or, for a download, written): a later change has a later ctime. */
  recordedAtNs: string;
}

/** Where the record of a release's checksums file is kept: beside its cached copy, in np's cache. */
export function signatureRecordPath(
  cacheDir: string,
  product: Product,
  version: string,
  checksumsName: string,
): string {
  return cachePath(cacheDir, product, version, `${checksumsName}.verified.json`);
}

/**
 * The path of the signature that verified `checksumsPath` under `trust`, when the record says so and both files
 * are provably unchanged since (settled: see proofHolds); undefined otherwise (np then verifies).
 */
export async function recordedSignature(
  recordPath: string,
  checksumsPath: string,
  trust: string,
): Promise<string | undefined> {
  const record = await readSignatureRecord(recordPath);
  if (!record || record.checksums.path !== checksumsPath || record.trust !== trust) return undefined;
  const [sums, sig] = await Promise.all([
    proofHolds(record.checksums.path, record.checksums.proof, record),
    proofHolds(record.signature.path, record.signature.proof, record),
  ]);
  return sums === "unchanged" && sig === "unchanged" ? record.signature.path : undefined;
}

/**
 * Records that the signature at `signaturePath` verified the checksums at `checksumsPath` under `trust`, the
 * verified bytes having been read at `readAtNs` (a file changed after that is not vouched for: its ctime is later).
 */
export async function recordSignature(
  recordPath: string,
  files: { checksumsPath: string; signaturePath: string },
  trust: string,
  readAtNs: bigint,
): Promise<void> {
  const [sums, sig] = await Promise.all([proofOf(files.checksumsPath), proofOf(files.signaturePath)]);
  if (!sums || !sig) return; // a file vanished meanwhile: nothing to vouch for, the next run verifies
  const record: SignatureRecord = {
    format: 1,
    checksums: { path: files.checksumsPath, proof: sums },
    signature: { path: files.signaturePath, proof: sig },
    trust,
    recordedAtNs: String(readAtNs),
  };
  // Only ever saves work: a cache np cannot write to costs the next run a verification, nothing else.
  await writeFileAtomic(recordPath, new TextEncoder().encode(`${JSON.stringify(record)}\n`), 0o644).catch(
    () => {},
  );
}

async function readSignatureRecord(file: string): Promise<SignatureRecord | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return undefined; // none, or unreadable: np verifies and writes it again
  }
  const v = value as Partial<SignatureRecord>;
  const ok =
    typeof v === "object" &&
    v !== null &&
    v.format === 1 &&
    typeof v.checksums?.path === "string" &&
    PROOF.test(String(v.checksums.proof)) &&
    typeof v.signature?.path === "string" &&
    PROOF.test(String(v.signature.proof)) &&
    typeof v.trust === "string" &&
    /^\d+$/.test(String(v.recordedAtNs));
  return ok ? (v as SignatureRecord) : undefined;
}
