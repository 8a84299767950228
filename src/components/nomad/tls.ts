import type { HostSpec, Inventory } from "../../inventory/index.js";
import { nomadAgentProfile } from "../../pki/profiles.js";
import type { LeafProfile } from "../../pki/types.js";
import { TLS_SECRET } from "../../pki/values.js";
import type { DesiredFile } from "../../render/types.js";
import type { SecretValues } from "../../secrets/index.js";
import { isServer } from "../servers.js";

/**
 * Where Nomad's TLS files live: a folder of its own (Nomad reads only the *.hcl and *.json files directly in its
 * config dir), root's only, like the rest of /etc/nomad.d (Nomad runs as root).
 */
export const NOMAD_TLS = {
  dir: "/etc/nomad.d/tls",
  ca: "/etc/nomad.d/tls/ca.pem",
  cert: "/etc/nomad.d/tls/agent.pem",
  key: "/etc/nomad.d/tls/agent-key.pem",
} as const;

/** Whether the host runs a Nomad agent (servers and clients do; edge and observe hosts run only Consul). */
export const runsNomad = (host: HostSpec) => host.roles.includes("server") || host.roles.includes("client");

/**
 * A Nomad agent's certificate: `server.<region>.nomad` on servers (a server that is also a client dials the
 * servers with it too), `client.<region>.nomad` on clients: the names verify_server_hostname and Nomad's RPC
 * check; plus localhost, 127.0.0.1 and the private address, where the HTTPS API is reached.
 */
export const nomadAgentCertProfile = (inv: Inventory, host: HostSpec): LeafProfile =>
  nomadAgentProfile(isServer(host) ? "server" : "client", inv.cluster.region, host);

/** The certificates Nomad needs: one per host that runs it. */
export const nomadTlsProfiles = (inv: Inventory): LeafProfile[] =>
  inv.hosts.filter(runsNomad).map((h) => nomadAgentCertProfile(inv, h));

/**
 * Nomad re-reads its certificates on SIGHUP (configuration/tls.mdx, "tls Configuration Reloads"): a renewed
 * certificate needs a reload, not a restart.
 */
const placement = { owner: "root", group: "root", restarts: [], reloads: ["nomad"] };

/** The CA, the agent's certificate and its key (the only secret of the three), on every Nomad host. */
export function nomadTlsFiles(inv: Inventory, host: HostSpec, secrets: SecretValues): DesiredFile[] {
  const { id } = nomadAgentCertProfile(inv, host);
  const file = (path: string, mode: string, secret: string, isSecret: boolean): DesiredFile => ({
    ...placement,
    path,
    mode,
    content: secrets.get(secret).reveal(),
    secret: isSecret,
  });
  return [
    file(NOMAD_TLS.ca, "0644", TLS_SECRET.caCert, false),
    file(NOMAD_TLS.cert, "0644", TLS_SECRET.cert(id), false),
    file(NOMAD_TLS.key, "0600", TLS_SECRET.key(id), true),
  ];
}
