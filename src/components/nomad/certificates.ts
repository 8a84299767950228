import type { HostSpec, Inventory } from "../../inventory/index.js";
import { npAgentClientProfile } from "../../pki/profiles.js";
import type { CertificateSite } from "../../pki/sites.js";
import { agentNeedsNomadTls, NP_AGENT } from "../np-agent/index.js";
import { NOMAD_TLS, nomadAgentCertProfile, runsNomad } from "./tls.js";

/**
 * The certificates np installs for Nomad on a host: the cluster CA and the agent's own certificate. Nomad re-reads
 * them on SIGHUP ("tls Configuration Reloads"). No `servedAt`: Nomad's HTTPS asks every caller for a client
 * certificate (verify_https_client), so a reload is gated on the quorum, not on reading the served certificate.
 */
export function nomadCertificateSites(inv: Inventory, host: HostSpec): CertificateSite[] {
  if (!runsNomad(host)) return [];
  const { id } = nomadAgentCertProfile(inv, host);
  return [
    { path: NOMAD_TLS.ca, name: "cluster CA", kind: "ca", unit: "nomad" },
    { path: NOMAD_TLS.cert, name: id, kind: "leaf", unit: "nomad" },
  ];
}

/** np-agent's CA and client certificate for Nomad's API, on hosts whose agent reads Nomad (read at its start). */
export function npAgentCertificateSites(inv: Inventory, host: HostSpec): CertificateSite[] {
  if (!agentNeedsNomadTls(inv, host)) return [];
  return [
    { path: NP_AGENT.nomadTls.ca, name: "cluster CA", kind: "ca", unit: "np-agent" },
    { path: NP_AGENT.nomadTls.cert, name: npAgentClientProfile(host).id, kind: "leaf", unit: "np-agent" },
  ];
}
