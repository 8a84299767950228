/** Release binaries np installs: located per source, verified (signature, sha256), cached and extracted. */
export { defaultCacheDir } from "./cache.js";
export { parseSha256Sums } from "./checksums.js";
export { fetchArtifacts } from "./fetch.js";
export { HASHICORP_RELEASE_KEY, HASHICORP_RELEASE_KEY_FINGERPRINT } from "./hashicorp-release-key.js";
export { archOf, binaryName, locate, mirrorPath, nodeArch, releaseFiles, releaseUrl } from "./layout.js";
export { NODEJS_RELEASE_KEYS } from "./nodejs-release-keys.js";
export { type PayloadOptions, type UploadPayload, verifiedPayload } from "./payload.js";
export { artifactKey } from "./requests.js";
export type {
  Arch,
  ArtifactRequest,
  ArtifactsSettings,
  FetchedArtifact,
  FetchOptions,
  Product,
} from "./types.js";
export { PRODUCTS } from "./types.js";
