import type { ArtifactRequest } from "./types.js";

/** Identity of a request: two requests with the same key fetch the same file. */
export function artifactKey(req: ArtifactRequest): string {
  return `${req.product} ${req.version} linux_${req.arch}`;
}

/** The distinct requests, in order of first appearance. */
export function uniqueRequests(requests: readonly ArtifactRequest[]): ArtifactRequest[] {
  const seen = new Map<string, ArtifactRequest>();
  for (const r of requests) {
    const key = artifactKey(r);
    if (!seen.has(key)) seen.set(key, { product: r.product, version: r.version, arch: r.arch });
  }
  return [...seen.values()];
}
