import { consulCertificateSites } from "../components/consul/certificates.js";
import { consul } from "../components/consul/index.js";
import type { Component } from "../components/index.js";
import { nomadCertificateSites, npAgentCertificateSites } from "../components/nomad/certificates.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { CertificateSite } from "../pki/sites.js";
import type { SecretSpec } from "../secrets/index.js";
import type { ComponentCredentials } from "./types.js";

const secretOf = (c: Component, name: string): SecretSpec => {
  const s = c.secrets.find((x) => x.name === name);
  if (!s) throw new Error(`${c.name} has no secret ${name}`);
  return s;
};

/**
 * Every component's credentials, as data: the certificates np installs for it and its gossip key.
 */
export const CREDENTIALS: readonly ComponentCredentials[] = [
  {
    component: "consul",
    certificates: consulCertificateSites,
    gossip: { secret: secretOf(consul, "consul-gossip"), keyring: "consul" },
  },
  {
    component: "nomad",
    certificates: nomadCertificateSites,
    // Its gossip key (nomad-gossip) is not rotated yet: the Nomad double has no keyring API to prove it against.
  },
  { component: "np-agent", certificates: npAgentCertificateSites },
];

/** The certificate files np installs on a host, over every component it runs. */
export function certificateSitesOf(
  inv: Inventory,
  host: HostSpec,
  runs: (c: string) => boolean,
): CertificateSite[] {
  const seen = new Set<string>();
  return CREDENTIALS.filter((c) => runs(c.component))
    .flatMap((c) => c.certificates(inv, host))
    .filter((s) => !seen.has(s.path) && seen.add(s.path) !== undefined);
}
