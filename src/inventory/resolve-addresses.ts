import { lookup } from "node:dns/promises";
import type { PathSegment, Problem } from "../yaml-config/problem.js";
import { RESOLVE_TIMEOUT_MS } from "./defaults.js";
import { isHostName } from "./patterns.js";
import { asMap, asString, viewHosts } from "./raw-view.js";

/** Resolves a host name; rejects (with an error `code` such as ENOTFOUND) when it cannot. */
export type HostLookup = (hostname: string) => Promise<unknown>;

/** Resolves with the system resolver (as ssh would), giving up after `timeoutMs`. */
export function systemLookup(timeoutMs = RESOLVE_TIMEOUT_MS): HostLookup {
  return (hostname) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "TIMEOUT" })), timeoutMs);
      timer.unref();
    });
    return Promise.race([lookup(hostname), timeout]).finally(() => clearTimeout(timer));
  };
}

/**
 * The host names np itself must resolve: addresses of hosts reached directly, and bastion hosts.
 * A host behind a bastion is resolved by the bastion, so its name is not checked here.
 */
export function namesToResolve(raw: unknown): { name: string; path: PathSegment[] }[] {
  const targets: { name: string; path: PathSegment[] }[] = [];
  const add = (value: unknown, path: PathSegment[]) => {
    const name = asString(value);
    if (name !== undefined && isHostName(name)) targets.push({ name, path });
  };
  add(asMap(asMap(asMap(raw)?.ssh)?.bastion)?.host, ["ssh", "bastion", "host"]);
  const hosts = asMap(raw)?.hosts;
  for (const host of viewHosts(raw)) {
    if (!host.behindBastion) add(host.address, ["hosts", host.index, "address"]);
    const bastion = asMap(asMap(asMap(Array.isArray(hosts) ? hosts[host.index] : undefined)?.ssh)?.bastion);
    add(bastion?.host, ["hosts", host.index, "ssh", "bastion", "host"]);
  }
  return targets;
}

/** Checks in parallel that each host name resolves; each one that does not is a problem at its key. */
export async function checkResolvable(raw: unknown, resolve: HostLookup): Promise<Problem[]> {
  const targets = namesToResolve(raw);
  const cache = new Map<string, Promise<string | undefined>>();
  const why = (name: string) => {
    let p = cache.get(name.toLowerCase());
    if (!p) {
      p = resolve(name).then(
        () => undefined,
        (err: { code?: string }) =>
          err?.code === "TIMEOUT"
            ? "did not resolve in time"
            : `does not resolve (${err?.code ?? String(err)})`,
      );
      cache.set(name.toLowerCase(), p);
    }
    return p;
  };
  const results = await Promise.all(targets.map(async (t) => ({ ...t, reason: await why(t.name) })));
  return results
    .filter((r) => r.reason !== undefined)
    .map((r) => ({
      path: r.path,
      message: `host name "${r.name}" ${r.reason}: use an IP address or a name this machine can resolve`,
    }));
}
