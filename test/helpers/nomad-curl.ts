import { readFileSync } from "node:fs";
import path from "node:path";

/** curl flags presenting the node's own Nomad agent certificate (root reads it): Nomad's API wants one of the CA. */
export const NOMAD_AGENT_CERT = "--cert /etc/nomad.d/tls/agent.pem --key /etc/nomad.d/tls/agent-key.pem";

/**
 * A curl command (shell text, run on a Nomad host) for Nomad's HTTPS API at `address`, whose certificate is checked
 * against the cluster CA the host holds; `flags` are more of curl's (a client certificate, a token, -w ...).
 */
export const nomadCurl = (address: string, p: string, flags = "") =>
  `curl -s -m 10 --cacert /etc/nomad.d/tls/ca.pem ${flags} https://${address}:4646${p}`;

/** The same as np: the node's agent certificate and np's management token, read from `workDir`/.np/secrets. */
export function nomadCurlAsNp(workDir: string, address: string, p: string, flags = ""): string {
  const token = readFileSync(path.join(workDir, ".np", "secrets", "nomad-management"), "utf8").trim();
  // A UUID (checked), so it is safe in the shell text.
  if (!/^[0-9a-f-]{36}$/.test(token)) throw new Error("nomad-management is not a Nomad token");
  return nomadCurl(address, p, `${NOMAD_AGENT_CERT} -H "X-Nomad-Token: ${token}" ${flags}`);
}
