import type { ComponentName } from "../components/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { CertificateSite } from "../pki/sites.js";
import type { SecretSpec } from "../secrets/index.js";

/** A component's gossip encryption: the secret that holds its key, and which keyring API changes it live. */
export interface GossipKeyringSpec {
  secret: SecretSpec;
  /**
   * Which keyring API changes it live: Consul's operator keyring (on a server). Nomad's (`/v1/agent/keyring/*`,
   * servers only) joins here once it can be proven: the Nomad double has no keyring.
   */
  keyring: "consul";
}

/**
 * What `np status`, `np up` and `np rotate` need to know of one component's credentials, as data: the
 * certificates it reads on each host and its gossip key. Adding a component's TLS is an entry (or a field) here.
 */
export interface ComponentCredentials {
  component: ComponentName;
  certificates(inv: Inventory, host: HostSpec): CertificateSite[];
  gossip?: GossipKeyringSpec;
}
