import { readFile } from "node:fs/promises";
import type { PublicKey } from "openpgp";
import { OperationError } from "../errors.js";
import { cachePath, writeFileAtomic } from "./cache.js";
import { type DownloadContext, readLocation, readOptional } from "./download.js";
import { nowNs } from "./extraction-record.js";
import { describeLocation, type Location, locate, type ReleaseFiles, type Signer } from "./layout.js";
import type { SignatureFile } from "./signature.js";
import { recordedSignature, recordSignature, signatureRecordPath } from "./signature-record.js";
import { trustDigest } from "./trust.js";
import type { ArtifactsSettings, Product } from "./types.js";

// OpenPGP is loaded only by a run that verifies a signature: a run whose checksums np's record vouches for, and
// that installs nothing, never loads it.
const openpgpVerify = async (...args: Parameters<typeof import("./signature.js").verifyChecksumsSignature>) =>
  (await import("./signature.js")).verifyChecksumsSignature(...args);

/** Everything one `fetchArtifacts` run shares. */
export interface FetchContext extends DownloadContext {
  settings: ArtifactsSettings;
  cacheDir: string;
  /** The keys trusted for a vendor's checksums (its release keys and artifacts.trusted_keys), loaded on first use. */
  keys: (signer: Signer) => Promise<PublicKey[]>;
  progress: (message: string) => void;
  /** A corrupt local cache entry, named as np heals it. */
  warn: (message: string) => void;
}

/** A checksums file whose signature verified (when its product is signed), and where it is on disk. */
export interface VerifiedChecksums {
  text: string;
  path: string;
  signaturePath?: string;
  /**
   * Present when the signature was not verified in this run, np's record vouching for these very files: verifies
   * it now (once), and must be called before anything made from these checksums is sent to a host.
   */
  confirm?: () => Promise<void>;
}

/**
 * The checksums file of one release, verified: for HashiCorp products and Node.js its detached signature must
 * verify with a trusted key. A copy on disk is used only if it verifies now, or np's record of an earlier
 * verification vouches for these very files (then `confirm` verifies before anything is installed); a cached copy
 * that does neither is fetched from the source again.
 */
export async function verifiedChecksums(
  ctx: FetchContext,
  product: Product,
  version: string,
  files: ReleaseFiles,
): Promise<VerifiedChecksums> {
  const where = (file: string) => locate(ctx.settings, product, version, file);
  const record = signatureRecordPath(ctx.cacheDir, product, version, files.checksums);
  const trust = files.signer && (await trustDigest(files.signer, ctx.settings.trustedKeys));
  /** Checksums read from disk at `readAt` (the folder of `source: dir`, or the cache), verified or vouched for. */
  const onDisk = async (
    path: string,
    data: Uint8Array,
    readAt: bigint,
    signaturePathOf: (name: string) => string,
    read: (name: string) => Promise<Uint8Array | undefined>,
  ): Promise<VerifiedChecksums> => {
    const text = decode(data);
    const vouched = trust && (await recordedSignature(record, path, trust));
    if (vouched) {
      let verifying: Promise<void> | undefined;
      const confirm = () => {
        verifying ??= checkSignature(ctx, files, data, read, where).then(() => {});
        return verifying;
      };
      return { text, path, signaturePath: vouched, confirm };
    }
    const sig = await checkSignature(ctx, files, data, read, where);
    if (!sig) return { text, path };
    const signaturePath = signaturePathOf(sig.name);
    if (trust) await recordSignature(record, { checksumsPath: path, signaturePath }, trust, readAt);
    return { text, path, signaturePath };
  };

  if (ctx.settings.source === "dir") {
    const loc = where(files.checksums) as Extract<Location, { kind: "file" }>;
    const readAt = nowNs();
    const data = await readLocation(loc, ctx);
    return onDisk(
      loc.path,
      data,
      readAt,
      (name) => (where(name) as Extract<Location, { kind: "file" }>).path,
      (name) => readOptional(where(name), ctx),
    );
  }

  const cached = (file: string) => cachePath(ctx.cacheDir, product, version, file);
  const readAt = nowNs();
  const fromCache = await readCached(cached(files.checksums));
  if (fromCache) {
    try {
      return await onDisk(cached(files.checksums), fromCache, readAt, cached, (name) =>
        readCached(cached(name)),
      );
    } catch (err) {
      if (!(err instanceof OperationError)) throw err;
      // Damaged, or (the same name) fetched from a source whose key is no longer trusted: fetched again either way.
      const sigs: string[] = [];
      for (const name of files.signatures) if (await readCached(cached(name))) sigs.push(cached(name));
      ctx.warn(
        sigs.length === 0
          ? `local cache at ${cached(files.checksums)} is corrupt (its signature is missing): re-fetching it`
          : `local cache at ${cached(files.checksums)} (with ${sigs.join(", ")}) is corrupt or signed by a key ` +
              "not trusted now: re-fetching it",
      );
    }
  }

  ctx.progress(`fetching ${describeLocation(where(files.checksums))}`);
  const data = await readLocation(where(files.checksums), ctx);
  const sig = await checkSignature(ctx, files, data, (name) => readOptional(where(name), ctx), where);
  await writeFileAtomic(cached(files.checksums), data);
  if (sig) await writeFileAtomic(cached(sig.name), sig.data);
  // Vouches for the bytes just written (verified in memory): they settle like any write (see proofHolds).
  if (sig && trust)
    await recordSignature(
      record,
      { checksumsPath: cached(files.checksums), signaturePath: cached(sig.name) },
      trust,
      nowNs(),
    );
  return {
    text: decode(data),
    path: cached(files.checksums),
    ...(sig && { signaturePath: cached(sig.name) }),
  };
}

/**
 * Verifies the checksums' signature for signed products (undefined for unsigned ones). Signatures are read in
 * order (key-suffixed first) until one verifies, so a mirror that has only the plain `.sig` costs one miss.
 */
async function checkSignature(
  ctx: FetchContext,
  files: ReleaseFiles,
  checksums: Uint8Array,
  read: (name: string) => Promise<Uint8Array | undefined>,
  where: (file: string) => Location,
): Promise<SignatureFile | undefined> {
  if (!files.signer) return undefined;
  const keys = await ctx.keys(files.signer);
  const found: SignatureFile[] = [];
  for (const name of files.signatures) {
    const data = await read(name);
    if (!data) continue;
    const sig = { name, data };
    found.push(sig);
    try {
      await openpgpVerify(files.checksums, checksums, [sig], keys);
      return sig;
    } catch {
      // Try the next signature; if none verifies, the error below names all of them.
    }
  }
  if (found.length === 0)
    throw new OperationError(
      `no signature found for ${files.checksums}: tried ${files.signatures.map((n) => describeLocation(where(n))).join(", ")}; refusing to install it`,
      `a mirror must carry the signature files beside ${files.checksums} (\`np artifacts fetch\` copies them)`,
    );
  await openpgpVerify(files.checksums, checksums, found, keys);
  throw new Error("unreachable: verifyChecksumsSignature accepted a set it rejected one by one");
}

async function readCached(file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

function decode(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}
