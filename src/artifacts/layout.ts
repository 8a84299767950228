import path from "node:path";
import { OperationError } from "../errors.js";
import type { Arch, ArtifactRequest, ArtifactsSettings, Product } from "./types.js";

/** Default base URL of HashiCorp's release site (source `releases`). */
export const HASHICORP_RELEASES_URL = "https://releases.hashicorp.com";

/** Node.js release downloads (source `releases`). */
export const NODEJS_DIST_URL = "https://nodejs.org/dist";

/** Key-suffixed signature name HashiCorp publishes beside the plain `.sig` (its key's short ID). */
export const HASHICORP_KEY_SUFFIX = "72D7468F";

/** Whose release keys sign a product's checksums file (none for Traefik and OpenObserve). */
export type Signer = "hashicorp" | "nodejs";

/** The files of one release of one product, as the vendor names them. */
export interface ReleaseFiles {
  /** The archive for this arch: a zip (HashiCorp) or a tar.gz (Traefik, OpenObserve, Node.js). */
  archive: string;
  archiveKind: "zip" | "tar.gz";
  /** The executable's path inside the archive (Node.js: `node-v<v>-linux-<arch>/bin/node`). */
  entry: string;
  /** The checksums file: `<sha256>  <file>` lines, or (OpenObserve) only the hex hash of the archive. */
  checksums: string;
  checksumsKind: "sums" | "single";
  /** Detached signatures of the checksums file, in the order they are tried (signed products only). */
  signatures: string[];
  signer?: Signer;
}

/** The executable's name in the cache: the last part of its path in the archive. */
export function binaryName(files: ReleaseFiles): string {
  return files.entry.slice(files.entry.lastIndexOf("/") + 1);
}

/** Node.js names its x86-64 builds `x64`; every other vendor np installs says `amd64`. */
export function nodeArch(arch: Arch): string {
  return arch === "amd64" ? "x64" : arch;
}

/** Where a file is read from: a URL (releases, mirror) or a local path (dir). */
export type Location = { kind: "url"; url: string } | { kind: "file"; path: string };

/** True for products released by HashiCorp (zip + signed SHA256SUMS). */
export function isHashicorp(product: Product): boolean {
  return product === "consul" || product === "nomad";
}

/** The vendor's file names for one product, version and arch. */
export function releaseFiles({ product, version, arch }: ArtifactRequest): ReleaseFiles {
  if (isHashicorp(product)) {
    const sums = `${product}_${version}_SHA256SUMS`;
    return {
      archive: `${product}_${version}_linux_${arch}.zip`,
      archiveKind: "zip",
      entry: product,
      checksums: sums,
      checksumsKind: "sums",
      signatures: [`${sums}.${HASHICORP_KEY_SUFFIX}.sig`, `${sums}.sig`],
      signer: "hashicorp",
    };
  }
  if (product === "node") {
    // Node publishes .tar.gz beside .tar.xz, both listed in the same signed SHASUMS256.txt: np reads the .tar.gz
    // (gzip needs no extra library).
    const top = `node-v${version}-linux-${nodeArch(arch)}`;
    return {
      archive: `${top}.tar.gz`,
      archiveKind: "tar.gz",
      entry: `${top}/bin/node`,
      checksums: "SHASUMS256.txt",
      checksumsKind: "sums",
      signatures: ["SHASUMS256.txt.sig"],
      signer: "nodejs",
    };
  }
  if (product === "traefik") {
    return {
      archive: `traefik_v${version}_linux_${arch}.tar.gz`,
      archiveKind: "tar.gz",
      entry: "traefik",
      checksums: `traefik_v${version}_checksums.txt`,
      checksumsKind: "sums",
      signatures: [],
    };
  }
  const archive = `openobserve-v${version}-linux-${arch}.tar.gz`;
  return {
    archive,
    archiveKind: "tar.gz",
    entry: "openobserve",
    checksums: `${archive}.sha256sum`,
    checksumsKind: "single",
    signatures: [],
  };
}

/** A file's path relative to a mirror or folder: `<product>/<version>/<file>` for every product. */
export function mirrorPath(product: Product, version: string, file: string): string {
  return `${product}/${version}/${file}`;
}

/** Where `file` of `product` `version` lives for the inventory's artifacts source. */
export function locate(
  settings: ArtifactsSettings,
  product: Product,
  version: string,
  file: string,
): Location {
  const rel = mirrorPath(product, version, file);
  if (settings.source === "dir") {
    if (!settings.dir) throw new OperationError("artifacts.dir is required when artifacts.source is dir");
    return { kind: "file", path: path.join(settings.dir, ...rel.split("/")) };
  }
  if (settings.source === "mirror") {
    if (!settings.url) throw new OperationError("artifacts.url is required when artifacts.source is mirror");
    return { kind: "url", url: new URL(rel, withSlash(settings.url)).href };
  }
  return { kind: "url", url: releaseUrl(product, version, file) };
}

/** The vendor's download URL (source `releases`). */
export function releaseUrl(product: Product, version: string, file: string): string {
  if (product === "traefik")
    return `https://github.com/traefik/traefik/releases/download/v${version}/${file}`;
  if (product === "openobserve")
    return `https://downloads.openobserve.ai/releases/openobserve/v${version}/${file}`;
  if (product === "node") return `${NODEJS_DIST_URL}/v${version}/${file}`;
  return new URL(`${product}/${version}/${file}`, withSlash(HASHICORP_RELEASES_URL)).href;
}

/** How a location is shown to the user. */
export function describeLocation(location: Location): string {
  return location.kind === "url" ? location.url : location.path;
}

/** Release-file arch for a host's `uname -m`: x86_64 → amd64, aarch64 → arm64. */
export function archOf(machine: string): Arch {
  if (machine === "x86_64" || machine === "amd64") return "amd64";
  if (machine === "aarch64" || machine === "arm64") return "arm64";
  throw new OperationError(`architecture ${machine} is not supported: np installs amd64 and arm64 binaries`);
}

function withSlash(base: string): string {
  return base.endsWith("/") ? base : `${base}/`;
}
