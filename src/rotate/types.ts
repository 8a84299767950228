import type { RunContext } from "../cluster/context.js";
import type { ComponentName } from "../components/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { CertificateSite } from "../pki/sites.js";
import type { SecretSpec } from "../secrets/index.js";

/** A component's gossip encryption: the secret that holds its key, and which keyring API changes it live. */
export interface GossipKeyringSpec {
  secret: SecretSpec;
  /**
   * Which keyring API changes it live, on a server: Consul's operator keyring (every agent's LAN pool and the
   * servers' WAN pool) or Nomad's agent keyring (`/v1/agent/keyring/*`: the servers' pool only).
   */
  keyring: "consul" | "nomad";
}

/**
 * The ACL tokens np keeps in one system (Consul's, Nomad's): np's own management token and the tokens it renders
 * into the hosts' files or uses itself. `np rotate tokens` gives each a new SecretID: `create` makes the new token
 * beside the old one, the files are rendered and their services reloaded or restarted, and only then `remove`
 * deletes the old one.
 */
export interface TokenSystem {
  /** The API the system is reached through (ApiTunnels' service name). */
  service: "consul" | "nomad";
  /**
   * Who makes a new SecretID: np (Consul takes the caller's: it is saved before Consul hears of it) or the system
   * (Nomad makes a client token's own: it is saved the moment Nomad answers).
   */
  secretBy: "np" | "system";
  /** Every token secret np keeps in this system, np's own management token first. */
  tokens(inv: Inventory): SecretSpec[];
  /**
   * Makes a token with the rights of np's token `name` beside the old one and returns its SecretID: `secret`
   * where np chooses it (idempotent: made once), a new one of the system's otherwise.
   */
  create(ctx: RunContext, name: string, secret?: string): Promise<string>;
  /** Deletes the token whose SecretID is `secret`, through np's current management token; gone already is fine. */
  remove(ctx: RunContext, secret: string): Promise<void>;
  /**
   * Deletes tokens with the name np gives its token `name` other than the ones with the SecretIDs `keep`: a run
   * cut between Nomad's answer and np's save left one nobody holds. Returns how many went.
   */
  sweep?(ctx: RunContext, names: readonly string[], keep: readonly string[]): Promise<number>;
}

/**
 * What `np status`, `np up` and `np rotate` need to know of one component's credentials, as data: the
 * certificates it reads on each host and its gossip key. Adding a component's TLS is an entry (or a field) here.
 */
export interface ComponentCredentials {
  component: ComponentName;
  certificates(inv: Inventory, host: HostSpec): CertificateSite[];
  gossip?: GossipKeyringSpec;
  tokens?: TokenSystem;
  /** Its unit re-reads the tokens in its files on a reload (Consul's acl.tokens and service definitions). */
  reloadsTokens?: boolean;
}
