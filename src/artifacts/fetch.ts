import type { PublicKey } from "openpgp";
import { InputError, Interrupted, NpError, OperationError } from "../errors.js";
import { Semaphore } from "../remote/semaphore.js";
import { defaultCacheDir } from "./cache.js";
import { createHttpClient } from "./download.js";
import { readRecord } from "./extraction-record.js";
import { binaryPathFor, extractToCache, verifiedArchive } from "./fetch-one.js";
import { releaseFiles, type Signer } from "./layout.js";
import { uniqueRequests } from "./requests.js";
import type { ArtifactRequest, ArtifactsSettings, FetchedArtifact, FetchOptions } from "./types.js";
import { type FetchContext, type VerifiedChecksums, verifiedChecksums } from "./verified-checksums.js";

/** Downloads at once; extraction runs one at a time (it is CPU-bound and holds a whole archive in memory). */
const PARALLEL_DOWNLOADS = 4;

/**
 * Downloads (or takes from the cache), verifies and extracts every requested binary, before anything is
 * installed. Identical requests are fetched once; the result has one entry per distinct request, in order.
 * Throws OperationError naming the file and both hashes when a checksum does not match, and the checksums file
 * and the keys tried when a signature does not verify.
 */
export async function fetchArtifacts(
  artifacts: ArtifactsSettings,
  requests: readonly ArtifactRequest[],
  opts: FetchOptions = {},
): Promise<FetchedArtifact[]> {
  const unique = uniqueRequests(requests);
  const http = createHttpClient();
  const keys = new Map<Signer, Promise<PublicKey[]>>();
  const progress = opts.onProgress ?? (() => {});
  const ctx: FetchContext = {
    settings: artifacts,
    cacheDir: opts.cacheDir ?? defaultCacheDir(),
    http,
    ...(opts.signal && { signal: opts.signal }),
    keys: (signer) => {
      let loaded = keys.get(signer);
      if (!loaded) {
        // OpenPGP loads with the first signature to verify (none, on a run the records vouch for).
        loaded = import("./signature.js").then((m) => m.loadTrustedKeys(signer, artifacts.trustedKeys));
        keys.set(signer, loaded);
      }
      return loaded;
    },
    progress,
    warn: opts.onWarning ?? progress,
  };
  const downloads = new Semaphore(PARALLEL_DOWNLOADS);
  const extraction = new Semaphore(1);
  const checksums = new Map<string, Promise<VerifiedChecksums>>();
  const checksumsOf = (req: ArtifactRequest) => {
    // One checksums file per release for most vendors, one per archive for OpenObserve: key by its name.
    const key = `${req.product}/${req.version}/${releaseFiles(req).checksums}`;
    let sums = checksums.get(key);
    if (!sums) {
      sums = downloads.use(() => verifiedChecksums(ctx, req.product, req.version, releaseFiles(req)));
      checksums.set(key, sums);
    }
    return sums;
  };
  try {
    const settled = await Promise.allSettled(
      unique.map(async (req) => {
        const sums = await checksumsOf(req);
        const record = await readRecord(binaryPathFor(ctx.cacheDir, req));
        const archive = await downloads.use(() => verifiedArchive(ctx, req, sums, record));
        return extraction.use(() => extractToCache(ctx, req, sums, archive, record));
      }),
    );
    if (opts.signal?.aborted) throw new Interrupted();
    throwFailures(settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : [])));
    return settled.map((s) => (s as PromiseFulfilledResult<FetchedArtifact>).value);
  } finally {
    await http.close();
  }
}

/** One failure is thrown as is; several become one error listing each (a shared cause is listed once). */
function throwFailures(errors: unknown[]): void {
  if (errors.length === 0) return;
  const input = errors.find((e) => e instanceof InputError);
  if (input) throw input;
  const messages = [...new Set(errors.map((e) => (e instanceof Error ? e.message : String(e))))];
  const first = errors[0];
  if (messages.length === 1) throw first;
  throw new OperationError(
    `${messages.length} artifacts could not be fetched and verified:\n - ${messages.join("\n - ")}`,
    first instanceof NpError ? first.hint : undefined,
  );
}
