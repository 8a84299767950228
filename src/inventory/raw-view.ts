import { DNS_LABEL, isIpAddress } from "./patterns.js";
import { ROLES, type Role } from "./types.js";

/**
 * A lenient look at the parsed YAML, for rules that run even when the schema found problems elsewhere (so all
 * problems are reported at once). Fields the schema would refuse read as undefined here.
 */

export interface HostView {
  index: number;
  name?: string;
  address?: string;
  /** Set only when the host has `private_address`. */
  privateAddress?: string;
  roles: { role: Role; index: number }[];
  /** False when `roles` is not a list of known roles: count rules then stay silent. */
  rolesValid: boolean;
  /** Whether the host is reached through a bastion (its own or the global one). */
  behindBastion: boolean;
}

/** A plain object, or undefined. */
export function asMap(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The hosts of a parsed inventory, as far as they can be read. */
export function viewHosts(raw: unknown): HostView[] {
  const root = asMap(raw);
  const hosts = root?.hosts;
  if (!Array.isArray(hosts)) return [];
  const globalBastion = asMap(asMap(root?.ssh)?.bastion) !== undefined;
  return hosts.map((h, index) => {
    const host = asMap(h);
    const rolesRaw = host?.roles;
    const roles: HostView["roles"] = [];
    let rolesValid = Array.isArray(rolesRaw) && rolesRaw.length > 0;
    if (Array.isArray(rolesRaw)) {
      rolesRaw.forEach((role, i) => {
        if (ROLES.includes(role as Role)) roles.push({ role: role as Role, index: i });
        else rolesValid = false;
      });
    }
    return {
      index,
      name: asString(host?.name),
      address: asString(host?.address),
      privateAddress: asString(host?.private_address),
      roles,
      rolesValid,
      behindBastion: globalBastion || asMap(asMap(host?.ssh)?.bastion) !== undefined,
    };
  });
}

/** How a host is named in messages: its name when valid (so nothing odd is echoed), else `hosts[2]`. */
export function displayName(host: HostView): string {
  return host.name !== undefined && DNS_LABEL.test(host.name) ? host.name : `hosts[${host.index}]`;
}

/** The address the cluster binds to: private_address, else address when it is an IP. */
export function effectivePrivateAddress(host: HostView): string | undefined {
  if (host.privateAddress !== undefined) return host.privateAddress;
  return host.address !== undefined && isIpAddress(host.address) ? host.address : undefined;
}
