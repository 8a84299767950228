import { archOf, fetchArtifacts, requestsFor } from "../../artifacts/index.js";
import type { Phase } from "../context.js";
import { BINARY_PATHS } from "./gather.js";

/**
 * Downloads (or takes from the cache) and verifies every binary the hosts need, before anything is installed:
 * a checksum or signature that does not verify stops the run here.
 */
export const fetchArtifactsPhase: Phase = {
  title: "fetch and verify artifacts",
  async run(ctx) {
    const archByHost = new Map(ctx.hosts.map((h) => [h.spec.name, archOf(h.facts.arch)]));
    const requests = requestsFor(ctx.inv, (name) => archByHost.get(name) ?? "amd64");
    ctx.artifacts = await fetchArtifacts(ctx.inv.artifacts, requests, {
      signal: ctx.signal,
      onProgress: (m) => ctx.out.debug(m),
    });
    for (const host of ctx.hosts) {
      const arch = archByHost.get(host.spec.name);
      host.binaries = host.services.map((service) => {
        const version = ctx.inv.versions[service];
        const artifact = ctx.artifacts.find(
          (a) => a.product === service && a.version === version && a.arch === arch,
        );
        if (!artifact) throw new Error(`no artifact fetched for ${service} ${version} ${arch}`);
        return { service, path: BINARY_PATHS[service], artifact };
      });
    }
  },
};
