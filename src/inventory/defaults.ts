/** The one place where inventory defaults are defined; the schema documents them, normalize applies them. */

/** Versions np installs when the inventory does not pin them. */
export const DEFAULT_VERSIONS = {
  nomad: "1.10.5",
  consul: "1.21.0",
  traefik: "3.7.9",
  openobserve: "0.14.7",
  /** Node.js, the runtime of np-agent. */
  node: "24.22.3",
} as const;

/** Defaults of the `cluster` section. */
export const CLUSTER_DEFAULTS = { datacenter: "dc1", region: "global", singleServer: false } as const;

/** Defaults of the `ssh` section (and of each host's `ssh` override). */
export const SSH_DEFAULTS = { user: "root", port: 22, connectTimeoutSec: 10, bastionPort: 22 } as const;

/** Default source of the binaries np installs. */
export const ARTIFACTS_DEFAULT_SOURCE = "releases";

/** How long `np validate` waits for a host name to resolve. */
export const RESOLVE_TIMEOUT_MS = 2000;
