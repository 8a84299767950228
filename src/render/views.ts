import { InputError } from "../errors.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { ClusterSecrets } from "../secrets/index.js";
import { CONSUL_LOCAL_HTTP, HOST_PATHS } from "./paths.js";
import { consulHasUiConfig } from "./version.js";

/** What templates/consul.hcl.hbs needs. Every field is present (null when unset): templates render strictly. */
export interface ConsulView {
  datacenter: string;
  nodeName: string;
  dataDir: string;
  bindAddr: string;
  advertiseAddr: string;
  clientAddr: string;
  retryJoin: string[];
  encrypt: string;
  logLevel: string;
  server: { bootstrapExpect: number; uiConfig: boolean } | null;
}

/** What templates/nomad.hcl.hbs needs. */
export interface NomadView {
  region: string;
  datacenter: string;
  name: string;
  dataDir: string;
  bindAddr: string;
  advertiseAddr: string;
  server: { bootstrapExpect: number; encrypt: string; retryJoin: string[] } | null;
  client: {
    servers: string[];
    nodeClass: string | null;
    meta: { key: string; value: string }[] | null;
  } | null;
  consulAddress: string;
}

/** Whether the host runs a Nomad agent (servers and clients do; edge and observe hosts run only Consul). */
export function runsNomad(host: HostSpec): boolean {
  return host.roles.includes("server") || host.roles.includes("client");
}

/**
 * The server hosts' private addresses, ordered by host name: moving hosts around in the inventory must not
 * change the configs (and restart every agent).
 */
export function serverAddresses(inv: Inventory): string[] {
  const servers = inv.hosts.filter((h) => h.roles.includes("server"));
  if (servers.length === 0) {
    throw new InputError("the inventory has no server", ['give 3 (or 5) hosts the "server" role']);
  }
  return servers
    .toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((h) => h.privateAddress);
}

/** The values of one host's consul.hcl. */
export function consulView(inv: Inventory, host: HostSpec, secrets: ClusterSecrets): ConsulView {
  const servers = serverAddresses(inv);
  return {
    datacenter: inv.cluster.datacenter,
    nodeName: host.name,
    dataDir: HOST_PATHS.consulDataDir,
    bindAddr: host.privateAddress,
    advertiseAddr: host.privateAddress,
    clientAddr: "127.0.0.1",
    retryJoin: servers,
    encrypt: secrets.consulGossipKey,
    logLevel: "INFO",
    server: host.roles.includes("server")
      ? { bootstrapExpect: servers.length, uiConfig: consulHasUiConfig(inv.versions.consul) }
      : null,
  };
}

/** The values of one host's nomad.hcl. */
export function nomadView(inv: Inventory, host: HostSpec, secrets: ClusterSecrets): NomadView {
  const servers = serverAddresses(inv);
  const meta = Object.keys(host.meta)
    .toSorted()
    .map((key) => ({ key, value: host.meta[key] ?? "" }));
  return {
    region: inv.cluster.region,
    datacenter: inv.cluster.datacenter,
    name: host.name,
    dataDir: HOST_PATHS.nomadDataDir,
    bindAddr: host.privateAddress,
    advertiseAddr: host.privateAddress,
    server: host.roles.includes("server")
      ? { bootstrapExpect: servers.length, encrypt: secrets.nomadGossipKey, retryJoin: servers }
      : null,
    client: host.roles.includes("client")
      ? { servers, nodeClass: host.nodeClass ?? null, meta: meta.length > 0 ? meta : null }
      : null,
    consulAddress: CONSUL_LOCAL_HTTP,
  };
}
