import type { Inventory } from "../inventory/index.js";
import type { Arch, ArtifactRequest, Product } from "./types.js";
import { PRODUCTS } from "./types.js";

/** Options of `requestsFor`. */
export interface RequestsOptions {
  /**
   * Products to include; default consul and nomad (Traefik, OpenObserve and the Node.js runtime come with their
   * own components).
   */
  include?: readonly Product[];
}

/**
 * The binaries the inventory's hosts need: consul and node (np-agent's runtime) on every host, nomad on servers
 * and clients, traefik on edge hosts and openobserve on the observe host (all but consul and nomad only when
 * included). One request per product and arch.
 */
export function requestsFor(
  inv: Pick<Inventory, "hosts" | "versions">,
  archOfHost: (hostName: string) => Arch,
  options: RequestsOptions = {},
): ArtifactRequest[] {
  const include = new Set<Product>(options.include ?? ["consul", "nomad"]);
  const wanted: ArtifactRequest[] = [];
  for (const host of inv.hosts) {
    const arch = archOfHost(host.name);
    const needs = new Set<Product>(["consul", "node"]);
    if (host.roles.includes("server") || host.roles.includes("client")) needs.add("nomad");
    if (host.roles.includes("edge")) needs.add("traefik");
    if (host.roles.includes("observe")) needs.add("openobserve");
    for (const product of needs)
      if (include.has(product)) wanted.push({ product, version: inv.versions[product], arch });
  }
  const rank = (r: ArtifactRequest) => PRODUCTS.indexOf(r.product);
  return uniqueRequests(wanted).sort((a, b) => rank(a) - rank(b));
}

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

/** The fetched artifact for a product and arch (e.g. the binary to upload to one host). */
export function findArtifact<T extends ArtifactRequest>(
  fetched: readonly T[],
  req: ArtifactRequest,
): T | undefined {
  return fetched.find((f) => artifactKey(f) === artifactKey(req));
}
