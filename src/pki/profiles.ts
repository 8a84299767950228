import type { LeafProfile } from "./types.js";

/** How long np's certificates live, and when `np up` issues them again. */
export const LIFETIME = { caDays: 3650, leafDays: 365, renewWithinDays: 30 } as const;

/** A host as a certificate names it. */
export interface CertHost {
  name: string;
  privateAddress: string;
}

/**
 * A Consul server's certificate: `server.<dc>.consul` (what `verify_server_hostname` checks on RPC), and
 * `localhost`, 127.0.0.1 and the private address (the HTTPS API, reached through np's tunnels on loopback).
 * Servers dial each other with it too (verify_incoming on RPC), so it is both a server and a client certificate.
 */
export function consulServerProfile(datacenter: string, host: CertHost): LeafProfile {
  return {
    id: `consul-server-${host.name}`,
    commonName: `server.${datacenter}.consul`,
    dnsNames: [`server.${datacenter}.consul`, `${host.name}.server.${datacenter}.consul`, "localhost"],
    ips: unique(["127.0.0.1", host.privateAddress]),
    usages: ["serverAuth", "clientAuth"],
    validityDays: LIFETIME.leafDays,
  };
}

/**
 * A Nomad agent's certificate (`server.<region>.nomad` or `client.<region>.nomad`, which Nomad's
 * verify_server_hostname checks), for when Nomad's TLS is turned on: the same CA, one more profile per host.
 */
export function nomadAgentProfile(kind: "server" | "client", region: string, host: CertHost): LeafProfile {
  return {
    id: `nomad-${kind}-${host.name}`,
    commonName: `${kind}.${region}.nomad`,
    dnsNames: [`${kind}.${region}.nomad`, "localhost"],
    ips: unique(["127.0.0.1", host.privateAddress]),
    usages: ["serverAuth", "clientAuth"],
    validityDays: LIFETIME.leafDays,
  };
}

/** np's own client certificate (Nomad's verify_https_client asks the operator's tools for one). */
export function operatorProfile(cluster: string): LeafProfile {
  return {
    id: "np-operator",
    commonName: `np operator of ${cluster}`,
    dnsNames: [],
    ips: [],
    usages: ["clientAuth"],
    validityDays: LIFETIME.leafDays,
  };
}

/**
 * np-agent's client certificate on a host, for its reads of the local Nomad agent's HTTPS API (verify_https_client):
 * client auth only and no Nomad role name, so Nomad's RPC (which wants `server.*` or `client.<region>.nomad`) refuses
 * it — the agent can call the HTTP API with its token and nothing else.
 */
export function npAgentClientProfile(host: CertHost): LeafProfile {
  return {
    id: `np-agent-${host.name}`,
    commonName: `np-agent on ${host.name}`,
    dnsNames: [],
    ips: [],
    usages: ["clientAuth"],
    validityDays: LIFETIME.leafDays,
  };
}

const unique = (xs: string[]) => [...new Set(xs)];
