import type { HostSpec, Inventory } from "../../inventory/index.js";
import { NOMAD_TLS } from "./tls.js";

/**
 * A host's Nomad security, as nomad.hcl's `tls` and `acl` blocks say it: the one place that decides it, so a
 * migration (TLS first with client verification off, ACLs later) or a rotation changes this view, not templates.
 */
export interface NomadSecurityView {
  tls: {
    /** HTTPS on the HTTP API (:4646) and mutual TLS on RPC and Raft. */
    http: boolean;
    rpc: boolean;
    caFile: string;
    certFile: string;
    keyFile: string;
    /** Peers must present `server.<region>.nomad` / `client.<region>.nomad` certificates of the CA. */
    verifyServerHostname: boolean;
    /** HTTPS callers must present a certificate of the CA (np's operator certificate, np-agent's). */
    verifyHttpsClient: boolean;
  };
  acl: { enabled: boolean };
}

/** Secure by default: TLS on HTTP and RPC with every check on, ACLs on (default deny, as Nomad's ACLs are). */
export function nomadSecurity(_inv: Inventory, _host: HostSpec): NomadSecurityView {
  return {
    tls: {
      http: true,
      rpc: true,
      caFile: NOMAD_TLS.ca,
      certFile: NOMAD_TLS.cert,
      keyFile: NOMAD_TLS.key,
      verifyServerHostname: true,
      verifyHttpsClient: true,
    },
    acl: { enabled: true },
  };
}
