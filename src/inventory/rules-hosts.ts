import type { Problem } from "../yaml-config/problem.js";
import { show } from "../yaml-config/show.js";
import { isHostName, isIpAddress } from "./patterns.js";
import { displayName, effectivePrivateAddress, type HostView } from "./raw-view.js";

/** Host names, addresses and private addresses are unique; a host name address needs a private_address. */
export function checkHostIdentity(hosts: HostView[]): Problem[] {
  const problems: Problem[] = [];
  const names = new Map<string, HostView>();
  const addresses = new Map<string, HostView>();
  const privates = new Map<string, { host: HostView; explicit: boolean }>();
  for (const host of hosts) {
    const at = (key: string) => ["hosts", host.index, key];
    if (host.name !== undefined) {
      const first = names.get(host.name);
      if (first)
        problems.push({
          path: at("name"),
          message: `${show(host.name)} is already the name of ${label(first)}`,
        });
      else names.set(host.name, host);
    }
    if (host.address !== undefined) {
      const key = canonical(host.address);
      const first = addresses.get(key);
      if (first)
        problems.push({
          path: at("address"),
          message: `${show(host.address)} is already the address of ${label(first)}`,
        });
      else addresses.set(key, host);
      if (host.privateAddress === undefined && isHostName(host.address))
        problems.push({
          path: at("private_address"),
          message: `is required when address is a host name ("${host.address}"): Consul and Nomad bind to an IP address`,
        });
    }
    const priv = effectivePrivateAddress(host);
    if (priv !== undefined) {
      const explicit = host.privateAddress !== undefined;
      const first = privates.get(canonical(priv));
      // Two hosts with the same address and no private_address were reported above already.
      if (first && (explicit || first.explicit))
        problems.push({
          path: at(explicit ? "private_address" : "address"),
          message: `private address ${show(priv)} is already used by ${label(first.host)}`,
        });
      else if (!first) privates.set(canonical(priv), { host, explicit });
    }
    problems.push(...duplicateRoles(host));
  }
  return problems;
}

function duplicateRoles(host: HostView): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const { role, index } of host.roles) {
    if (seen.has(role))
      problems.push({ path: ["hosts", host.index, "roles", index], message: `"${role}" is listed twice` });
    seen.add(role);
  }
  return problems;
}

/** How a host is named in messages: `hosts[0] (node1)`. */
export function label(host: HostView): string {
  const name = displayName(host);
  return name === `hosts[${host.index}]` ? name : `hosts[${host.index}] (${name})`;
}

/** Compares addresses the way the network does: host names case-insensitively, IPv6 in canonical form. */
function canonical(address: string): string {
  if (isIpAddress(address) && address.includes(":")) return new URL(`http://[${address}]`).hostname;
  return address.toLowerCase();
}
