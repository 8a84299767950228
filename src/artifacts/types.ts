import type { Inventory } from "../inventory/index.js";

/** A program np installs from a vendor's release archive (`node`: the runtime of np-agent). */
export type Product = "consul" | "nomad" | "traefik" | "openobserve" | "node";

/** Every product, in the order np lists them. */
export const PRODUCTS: readonly Product[] = ["consul", "nomad", "traefik", "openobserve", "node"];

/** CPU architectures np installs for (Go's names, as in the release file names). */
export type Arch = "amd64" | "arm64";

/** Where binaries come from: the inventory's `artifacts` section, normalized. */
export type ArtifactsSettings = Inventory["artifacts"];

/** One binary to fetch. */
export interface ArtifactRequest {
  product: Product;
  version: string;
  arch: Arch;
}

/** A verified binary, extracted into the local cache. */
export interface FetchedArtifact extends ArtifactRequest {
  /** The release archive whose sha256 matched its checksums file (in the cache, or in the `dir` source). */
  archivePath: string;
  archiveSha256: string;
  /** The extracted executable in the cache. */
  binaryPath: string;
  binarySha256: string;
  binarySize: number;
  /** The checksums file the archive was checked against (verified by signature for signed products). */
  checksumsPath: string;
  /** The detached signature that verified the checksums file (HashiCorp products and Node.js). */
  signaturePath?: string;
  /** Where the archive is downloaded from again when the cached copy turns out corrupt (not for `source: dir`). */
  archiveUrl?: string;
  /**
   * Present when the checksums' signature was not verified in this run (np's record vouched for the files): it
   * verifies it now, once. Nothing made from this artifact may reach a host before it resolves (payload.ts).
   */
  confirmChecksums?: () => Promise<void>;
}

/** Options of `fetchArtifacts`. */
export interface FetchOptions {
  /** Default: $NP_CACHE_DIR, else $XDG_CACHE_HOME/np/artifacts, else ~/.cache/np/artifacts. */
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** A corrupt local cache entry that np heals ("local cache at … is corrupt: …"); default: onProgress. */
  onWarning?: (message: string) => void;
}
