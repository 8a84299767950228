// Traefik TEST DOUBLE: merging provider configurations (pkg/provider/merge.go): ResourceStrategyMerge (Consul
// Catalog: a router must be identical across instances, a service's load-balancer servers are appended when the
// rest is identical; a conflict deletes the resource) and ResourceStrategySkipDuplicates (file provider directory:
// the first file wins). Only the HTTP section is modelled.
import { isDeepStrictEqual } from "node:util";

const KINDS = ["routers", "services", "middlewares"];

/** Merges named configurations ([name, {http}] in name order) into one {http}; logs conflicts with `log`. */
export function mergeConfigurations(named, strategy, log) {
  const merged = { http: { routers: {}, services: {}, middlewares: {} } };
  const conflicts = { routers: new Set(), services: new Set(), middlewares: new Set() };
  for (const [origin, conf] of named) {
    for (const kind of KINDS) {
      for (const [key, value] of Object.entries(conf.http?.[kind] ?? {})) {
        const dst = merged.http[kind];
        if (!(key in dst)) {
          dst[key] = structuredClone(value);
          continue;
        }
        if (strategy === "skip") {
          log?.("warn", `Skipping duplicate ${kind.slice(0, -1)} ${key} from ${origin}`);
          continue;
        }
        if (!tryMerge(kind, dst[key], value)) conflicts[kind].add(key);
      }
    }
  }
  for (const kind of KINDS) {
    for (const key of conflicts[kind]) {
      log?.("error", `${kind.slice(0, -1)} ${key} defined multiple times with different configurations`);
      delete merged.http[kind][key];
    }
  }
  return merged;
}

function tryMerge(kind, dst, src) {
  if (kind === "services" && dst.loadBalancer && src.loadBalancer) {
    const { servers: a = [], ...restA } = dst.loadBalancer;
    const { servers: b = [], ...restB } = src.loadBalancer;
    if (!isDeepStrictEqual(restA, restB)) return false;
    const urls = new Set(a.map((s) => s.url));
    dst.loadBalancer.servers = [...a, ...b.filter((s) => !urls.has(s.url))];
    return true;
  }
  return isDeepStrictEqual(dst, src);
}
