import type { HostSpec, Inventory } from "../../inventory/index.js";
import { consulServerProfile } from "../../pki/profiles.js";
import type { LeafProfile } from "../../pki/types.js";
import { TLS_SECRET } from "../../pki/values.js";
import type { DesiredFile } from "../../render/types.js";
import type { SecretValues } from "../../secrets/index.js";
import { isServer } from "../servers.js";

/** Where Consul's TLS files live (a folder of its own: Consul loads only the files directly in its config dir). */
export const CONSUL_TLS = {
  dir: "/etc/consul.d/tls",
  ca: "/etc/consul.d/tls/ca.pem",
  cert: "/etc/consul.d/tls/server.pem",
  key: "/etc/consul.d/tls/server-key.pem",
} as const;

/** The certificates Consul needs: one per server (clients get theirs from the servers by auto_encrypt). */
export const consulTlsProfiles = (inv: Inventory): LeafProfile[] =>
  inv.hosts.filter(isServer).map((h) => consulServerProfile(inv.cluster.datacenter, h));

// Consul re-reads its certificates on SIGHUP (a renewal needs no restart); it reads them as group consul.
const placement = { owner: "root", group: "consul", restarts: [], reloads: ["consul"] };

/** The CA on every host, and on servers their certificate and key. */
export function consulTlsFiles(inv: Inventory, host: HostSpec, secrets: SecretValues): DesiredFile[] {
  // Certificates are public: plan may show their diffs. The key is the secret one.
  const files: DesiredFile[] = [
    {
      ...placement,
      path: CONSUL_TLS.ca,
      mode: "0644",
      content: secrets.get(TLS_SECRET.caCert).reveal(),
      secret: false,
    },
  ];
  if (!isServer(host)) return files;
  const { id } = consulServerProfile(inv.cluster.datacenter, host);
  files.push(
    {
      ...placement,
      path: CONSUL_TLS.cert,
      mode: "0644",
      content: secrets.get(TLS_SECRET.cert(id)).reveal(),
      secret: false,
    },
    {
      ...placement,
      path: CONSUL_TLS.key,
      mode: "0640",
      content: secrets.get(TLS_SECRET.key(id)).reveal(),
      secret: true,
    },
  );
  return files;
}
