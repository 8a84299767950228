/** What a host does in the cluster; a host may have several roles. */
export type Role = "server" | "client" | "edge" | "observe";

/** Every role, in the order np lists them. */
export const ROLES: readonly Role[] = ["server", "client", "edge", "observe"];

/** How np reaches one host over SSH, after merging host settings over global settings over defaults. */
export interface SshSettings {
  user: string;
  port: number;
  /** Absolute path of the private key; absent means ssh-agent ($SSH_AUTH_SOCK). */
  key?: string;
  /** Name of the environment variable that holds the key's passphrase (never the passphrase itself). */
  passphraseEnv?: string;
  connectTimeoutSec: number;
  bastion?: { host: string; user: string; port: number /** absolute */; key?: string };
}

/** One host of the inventory, normalized. */
export interface HostSpec {
  name: string;
  /** How np reaches the host: an IP address or a host name. */
  address: string;
  /** The IP address Consul and Nomad bind to and advertise; `address` unless set. */
  privateAddress: string;
  roles: Role[];
  nodeClass?: string;
  labels: Record<string, string>;
  meta: Record<string, string>;
  ssh: SshSettings;
}

/** A validated, normalized inventory: defaults applied, paths absolute, keys camelCase. */
export interface Inventory {
  /** Absolute path of the inventory file. */
  file: string;
  /** Folder of the inventory file; np's state (.np/) lives here. */
  dir: string;
  cluster: { name: string; datacenter: string; region: string; singleServer: boolean };
  hosts: HostSpec[];
  versions: { nomad: string; consul: string; traefik: string; openobserve: string; node: string };
  artifacts: {
    source: "releases" | "mirror" | "dir";
    url?: string;
    /** absolute */
    dir?: string;
    /** absolute paths of extra PGP public keys trusted for SHA256SUMS signatures */
    trustedKeys: string[];
  };
  traefik: { acmeEmail?: string; dashboardHost?: string };
  openobserve: { rootEmail?: string };
  preflightOverrides: Record<string, { memoryMb?: number; cpu?: number }>;
}
