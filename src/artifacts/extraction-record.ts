import { readFile, stat } from "node:fs/promises";
import { writeFileAtomic } from "./cache.js";

/**
 * The record beside an extracted executable in the cache: which verified archive it came from, its sha256, and a
 * proof that neither file changed since np hashed them. The proof is the file's device, inode, size, mtime and
 * ctime (nanoseconds), as git's index keeps them: any write, chmod, touch or replacement of the file changes its
 * ctime, which no user can set back. While both proofs hold, a run with nothing to install hashes neither the
 * archive nor the executable. Installing never relies on this record (see payload.ts).
 */
export interface ExtractionRecord {
  archive: { path: string; sha256: string; proof: string };
  binary: { sha256: string; size: number; proof: string };
  /** When the proofs were taken (ns since the epoch): a file changed within the same clock tick looks unchanged. */
  recordedAtNs: string;
}

/** What the cache holds for an executable's record. */
export type RecordRead =
  | { kind: "ok"; record: ExtractionRecord }
  /** No record, or one from an older np (rebuilt silently). */
  | { kind: "none" }
  /** A record np cannot have written: it is rebuilt, and named. */
  | { kind: "corrupt" };

const FORMAT = 2;
/**
 * Timestamps advance in clock ticks (milliseconds; up to 2 s on FAT or SMB): a file whose ctime is this close to
 * the moment its proof was taken may have changed again within the same tick, so it is hashed once more.
 */
const SETTLE_NS = 2_000_000_000n;

/** The record's path: `<binary>.extracted.json`. */
export function recordPathOf(binaryPath: string): string {
  return `${binaryPath}.extracted.json`;
}

/** Device, inode, size, mtime and ctime of a regular file, or undefined when there is none. */
export async function proofOf(file: string): Promise<string | undefined> {
  try {
    const s = await stat(file, { bigint: true });
    return s.isFile() ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `file` is as it was when `proof` was taken: "unchanged"; "unsettled" when the proof holds but was taken
 * within a clock tick of the file's last change (the file must be hashed once more); else "changed".
 */
export async function proofHolds(
  file: string,
  proof: string,
  record: Pick<ExtractionRecord, "recordedAtNs">,
): Promise<"unchanged" | "unsettled" | "changed"> {
  const now = await proofOf(file);
  if (now !== proof) return "changed";
  const ctimeNs = BigInt(proof.slice(proof.lastIndexOf(":") + 1));
  return BigInt(record.recordedAtNs) - ctimeNs >= SETTLE_NS ? "unchanged" : "unsettled";
}

/** Reads the record beside `binaryPath`. */
export async function readRecord(binaryPath: string): Promise<RecordRead> {
  let text: string;
  try {
    text = await readFile(recordPathOf(binaryPath), "utf8");
  } catch {
    return { kind: "none" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "corrupt" };
  }
  const v = value as Partial<ExtractionRecord> & { format?: unknown; archiveSha256?: unknown };
  // np 0.1 wrote { archiveSha256, binarySha256, binarySize, binaryMtimeMs }: not corrupt, only old.
  if (typeof v === "object" && v !== null && "archiveSha256" in v && !("format" in v))
    return { kind: "none" };
  return isRecord(v) ? { kind: "ok", record: v } : { kind: "corrupt" };
}

/** Writes the record of an executable just verified, with fresh proofs of both files. */
export async function writeRecord(
  binaryPath: string,
  archive: { path: string; sha256: string },
  binary: { sha256: string; size: number },
): Promise<void> {
  const [archiveProof, binaryProof] = await Promise.all([proofOf(archive.path), proofOf(binaryPath)]);
  if (!archiveProof || !binaryProof) return; // a file vanished meanwhile: nothing to prove, the next run hashes
  const record = {
    format: FORMAT,
    archive: { path: archive.path, sha256: archive.sha256, proof: archiveProof },
    binary: { sha256: binary.sha256, size: binary.size, proof: binaryProof },
    recordedAtNs: String(nowNs()),
  };
  await writeFileAtomic(
    recordPathOf(binaryPath),
    new TextEncoder().encode(`${JSON.stringify(record)}\n`),
    0o644,
  );
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** A proof as proofOf writes it. */
export const PROOF = /^\d+:\d+:\d+:\d+:\d+$/;

function isRecord(v: Partial<ExtractionRecord> & { format?: unknown }): v is ExtractionRecord {
  const { archive, binary, recordedAtNs } = v;
  return (
    v.format === FORMAT &&
    typeof archive?.path === "string" &&
    SHA256.test(String(archive.sha256)) &&
    PROOF.test(String(archive.proof)) &&
    SHA256.test(String(binary?.sha256)) &&
    Number.isSafeInteger(binary?.size) &&
    PROOF.test(String(binary?.proof)) &&
    /^\d+$/.test(String(recordedAtNs))
  );
}
