import { InputError } from "../errors.js";
import type { HostSpec, Inventory } from "../inventory/index.js";

/** Whether the host is a Raft server (Consul and Nomad). */
export const isServer = (host: HostSpec) => host.roles.includes("server");

/**
 * The server hosts' private addresses, ordered by host name: moving hosts around in the inventory must not
 * change the configs (and restart every agent).
 */
export function serverAddresses(inv: Inventory): string[] {
  const servers = inv.hosts.filter(isServer);
  if (servers.length === 0) {
    throw new InputError("the inventory has no server", ['give 3 (or 5) hosts the "server" role']);
  }
  return servers
    .toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((h) => h.privateAddress);
}

/** The same port for TCP and UDP (Serf gossip, DNS). */
export const tcpUdp = (port: number) => [
  { port, proto: "tcp" as const },
  { port, proto: "udp" as const },
];
export const tcp = (port: number) => ({ port, proto: "tcp" as const });
