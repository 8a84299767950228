import type { HostSpec, Inventory } from "../../inventory/index.js";
import { consulServerProfile } from "../../pki/profiles.js";
import type { CertificateSite } from "../../pki/sites.js";
import { isServer } from "../servers.js";
import { CONSUL } from "./index.js";
import { CONSUL_TLS } from "./tls.js";

/**
 * The certificates np installs for Consul on a host: the cluster CA everywhere, a server's own certificate on
 * servers, served on the loopback HTTPS API (and on RPC). Consul reloads both on SIGHUP (agent.go
 * reloadConfigInternal → tlsConfigurator.Update, 1.8.7): a renewal needs no restart.
 */
export function consulCertificateSites(inv: Inventory, host: HostSpec): CertificateSite[] {
  const ca: CertificateSite = { path: CONSUL_TLS.ca, name: "cluster CA", kind: "ca", unit: "consul" };
  if (!isServer(host)) return [ca];
  const { id } = consulServerProfile(inv.cluster.datacenter, host);
  return [ca, { path: CONSUL_TLS.cert, name: id, kind: "leaf", unit: "consul", servedAt: CONSUL.https }];
}
