import {
  type Arch,
  type ArtifactRequest,
  archOf,
  artifactKey,
  fetchArtifacts,
} from "../../artifacts/index.js";
import { componentsOf } from "../../components/index.js";
import type { Inventory } from "../../inventory/index.js";
import type { Phase, RunContext } from "../context.js";

/** The release artifacts the hosts' components need, one per product, version and arch. */
export function artifactRequests(inv: Inventory, archOfHost: (host: string) => Arch): ArtifactRequest[] {
  const unique = new Map<string, ArtifactRequest>();
  for (const host of inv.hosts) {
    for (const c of componentsOf(host)) {
      for (const b of c.binaries(inv)) {
        const req = { product: b.product, version: b.version, arch: archOfHost(host.name) };
        unique.set(artifactKey(req), req);
      }
    }
  }
  return [...unique.values()];
}

/**
 * Starts verifying the artifacts of an all-amd64 cluster (the common case) while the hosts are being gathered,
 * so the verification's time overlaps the SSH round trips. The phase uses it only if the guess was right.
 */
export function prefetchAmd64(ctx: RunContext): void {
  // Stopped when the run ends early (preflight refused, Ctrl-C), so np never lingers over an unused download.
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const pending = fetchArtifacts(
    ctx.inv.artifacts,
    artifactRequests(ctx.inv, () => "amd64"),
    { signal, onWarning: (m) => ctx.out.warn(m) },
  );
  // Settled here so a failure never goes unhandled; the phase rethrows it when it uses the result.
  const result = pending.then(
    (artifacts) => ({ artifacts }),
    (error: unknown) => ({ error }),
  );
  ctx.prefetch = { result, stop: () => stop.abort() };
}

/**
 * Downloads (or takes from the cache) and verifies every binary the hosts need, before anything is installed:
 * a checksum or signature that does not verify stops the run here.
 */
export const fetchArtifactsPhase: Phase = {
  title: "fetch and verify artifacts",
  async run(ctx) {
    const archByHost = new Map(ctx.hosts.map((h) => [h.spec.name, archOf(h.facts.arch)]));
    const requests = artifactRequests(ctx.inv, (name) => archByHost.get(name) ?? "amd64");
    const allAmd64 = [...archByHost.values()].every((a) => a === "amd64");
    const early = allAmd64 ? await ctx.prefetch?.result : undefined;
    if (early && "error" in early) throw early.error;
    ctx.artifacts =
      early?.artifacts ??
      (await fetchArtifacts(ctx.inv.artifacts, requests, {
        signal: ctx.signal,
        onProgress: (m) => ctx.out.debug(m),
        onWarning: (m) => ctx.out.warn(m),
      }));
    const byKey = new Map(ctx.artifacts.map((a) => [artifactKey(a), a]));
    for (const host of ctx.hosts) {
      const arch = archByHost.get(host.spec.name) ?? "amd64";
      host.binaries = host.desired.binaries.map((b) => {
        const artifact = byKey.get(artifactKey({ product: b.product, version: b.version, arch }));
        if (!artifact) throw new Error(`no artifact fetched for ${b.product} ${b.version} ${arch}`);
        return { ...b, artifact };
      });
    }
  },
};
