import type { RunContext } from "../cluster/context.js";
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
 * The ACL tokens np keeps in one system (Consul's, Nomad's): np's own management token and the tokens it renders
 * into the hosts' files. `np rotate tokens` gives each a new SecretID: `create` makes the new token beside the old
 * one, the files are rendered and their services reloaded or restarted, and only then `remove` deletes the old.
 */
export interface TokenSystem {
  /** The API the system is reached through (ApiTunnels' service name). */
  service: "consul" | "nomad";
  /** np's own token (its SecretID in .np/secrets): rotated too; np switches to the new one before deleting. */
  management: SecretSpec;
  /** The tokens the hosts hold, as the inventory needs them. */
  tokens(inv: Inventory): SecretSpec[];
  /** Makes sure a token with SecretID `secret` exists with the rights of np's token `name` (idempotent). */
  create(ctx: RunContext, name: string, secret: string): Promise<void>;
  /** Deletes the token whose SecretID is `secret`, through np's current management token; gone already is fine. */
  remove(ctx: RunContext, secret: string): Promise<void>;
}

/**
 * What `np status`, `np up` and `np rotate` need to know of one component's credentials, as data: the
 * certificates it reads on each host, its gossip key, its ACL tokens, and whether its service takes new tokens on
 * a reload (SIGHUP) instead of a restart. Adding a component's TLS or ACLs is an entry (or a field) here.
 */
export interface ComponentCredentials {
  component: ComponentName;
  certificates(inv: Inventory, host: HostSpec): CertificateSite[];
  gossip?: GossipKeyringSpec;
  tokens?: TokenSystem;
  /** Its unit re-reads the tokens in its files on a reload (Consul's acl.tokens: agent.go loadTokens). */
  reloadsTokens: boolean;
}
