import { InputError } from "../errors.js";

/** An IPv4 subnet the sandbox lives in: the bridge holds the gateway, nodes get .11, .12, … */
export interface Subnet {
  /** As the user wrote it, normalised: `10.213.7.0/24`. */
  cidr: string;
  network: number;
  prefix: number;
}

/** The subnet np sandbox uses when none is given. */
export const DEFAULT_SUBNET = "10.213.7.0/24";

/** Node i (1-based) gets host number FIRST_NODE_HOST + i - 1 in the subnet. */
const FIRST_NODE_HOST = 11;

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** Parses a dotted IPv4 address into an unsigned 32-bit number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Formats an unsigned 32-bit number as a dotted IPv4 address. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

function size(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Parses `a.b.c.d/n` without judging it; undefined when malformed. A bare address is a /32. */
export function parseCidr(text: string): { network: number; prefix: number; address: number } | undefined {
  const [addr, bits, ...rest] = text.split("/");
  if (addr === undefined || rest.length > 0) return undefined;
  const address = parseIpv4(addr);
  const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : Number.NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  return { network: address - (address % size(prefix)), prefix, address };
}

/** Whether two networks share at least one address. */
export function overlaps(
  a: { network: number; prefix: number },
  b: { network: number; prefix: number },
): boolean {
  const aEnd = a.network + size(a.prefix);
  const bEnd = b.network + size(b.prefix);
  return a.network < bEnd && b.network < aEnd;
}

/** Validates `--subnet` for a sandbox of `nodes` nodes: a private IPv4 network with room for every node. */
export function parseSubnet(text: string, nodes: number): Subnet {
  const parsed = parseCidr(text.trim());
  if (parsed === undefined || !text.includes("/"))
    throw new InputError(
      `--subnet ${text}: not an IPv4 network in CIDR form`,
      [],
      "e.g. --subnet 10.213.7.0/24",
    );
  const cidr = `${formatIpv4(parsed.network)}/${parsed.prefix}`;
  if (parsed.address !== parsed.network)
    throw new InputError(`--subnet ${text}: host bits are set`, [], `did you mean --subnet ${cidr}?`);
  const isPrivate = PRIVATE_RANGES.some((range) => {
    const r = parseCidr(range) as { network: number; prefix: number };
    return parsed.prefix >= r.prefix && overlaps(parsed, r);
  });
  if (!isPrivate)
    throw new InputError(
      `--subnet ${cidr}: not inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)`,
      [],
      "sandbox traffic must stay on private addresses; e.g. --subnet 10.213.7.0/24",
    );
  // Host numbers 1 (gateway) and 11.. (nodes) must stay below the broadcast address.
  if (FIRST_NODE_HOST + nodes - 1 >= size(parsed.prefix) - 1)
    throw new InputError(
      `--subnet ${cidr} is too small for ${nodes} nodes`,
      [],
      "use a /24, e.g. 10.213.7.0/24",
    );
  return { cidr, network: parsed.network, prefix: parsed.prefix };
}

/** The bridge's address on the host, which nodes use as their gateway: host number 1. */
export function gatewayAddress(subnet: Subnet): string {
  return formatIpv4(subnet.network + 1);
}

/** The address of node `index` (1-based): .11, .12, … */
export function nodeAddress(subnet: Subnet, index: number): string {
  return formatIpv4(subnet.network + FIRST_NODE_HOST + index - 1);
}

/** One route of `ip -j route`, as far as the overlap check needs it. */
export interface HostRoute {
  dst: string;
  dev?: string;
}

/** The host routes that overlap the subnet, ignoring the default route and routes on the sandbox's own bridge. */
export function conflictingRoutes(
  subnet: Subnet,
  routes: readonly HostRoute[],
  ownBridge: string,
): HostRoute[] {
  return routes.filter((route) => {
    if (route.dst === "default" || route.dev === ownBridge) return false;
    const dst = parseCidr(route.dst);
    return dst !== undefined && overlaps(subnet, dst);
  });
}
