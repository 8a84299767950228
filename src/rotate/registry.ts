import { consulCertificateSites } from "../components/consul/certificates.js";
import { consul } from "../components/consul/index.js";
import type { Component } from "../components/index.js";
import { nomadCertificateSites, npAgentCertificateSites } from "../components/nomad/certificates.js";
import { nomad } from "../components/nomad/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { CertificateSite } from "../pki/sites.js";
import type { SecretSpec } from "../secrets/index.js";
import { consulTokens } from "./consul-tokens.js";
import { nomadTokens } from "./nomad-tokens.js";
import type { ComponentCredentials } from "./types.js";

const secretOf = (c: Component, name: string): SecretSpec => {
  const s = c.secrets.find((x) => x.name === name);
  if (!s) throw new Error(`${c.name} has no secret ${name}`);
  return s;
};

/**
 * Every component's credentials, as data: the certificates np installs for it, its gossip key, its ACL tokens,
 * and whether its unit takes new tokens on a reload.
 */
export const CREDENTIALS: readonly ComponentCredentials[] = [
  {
    component: "consul",
    certificates: consulCertificateSites,
    gossip: { secret: secretOf(consul, "consul-gossip"), keyring: "consul" },
    tokens: consulTokens,
    // agent.go ReloadConfig: loadTokens (acl.tokens) and the service definitions are read again on SIGHUP.
    reloadsTokens: true,
  },
  {
    component: "nomad",
    certificates: nomadCertificateSites,
    // Only servers gossip (Serf); the keyring file each keeps wins over nomad.hcl's `encrypt` once it exists.
    gossip: { secret: secretOf(nomad, "nomad-gossip"), keyring: "nomad" },
    tokens: nomadTokens,
    // Nomad's reload applies TLS and log settings only (command/agent/agent.go Reload): its Consul token needs a restart.
    reloadsTokens: false,
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

/** Units that take new tokens from their files on a reload instead of a restart. */
export const TOKEN_RELOADING_UNITS: ReadonlySet<string> = new Set(
  CREDENTIALS.filter((c) => c.reloadsTokens).map((c) => c.component),
);
