import type { ConsulSecurity } from "../../components/consul/migrate-stages.js";
import { asRoot, shScript } from "../../remote/command.js";
import type { HostRun } from "../context.js";

/**
 * Prints the TLS and ACL settings of a consul.hcl ("$1"), one `block.path.key=value` line each, and nothing
 * else: the file also holds the gossip key and the agent's token, which never leave the host (the token's line
 * says only `acl.tokens.agent=set`). Blocks are followed by their `name {` and `}` lines, as np writes them.
 * Constant text: the path arrives as an argument.
 */
export const CONSUL_SETTINGS_SCRIPT = `test -f "$1" || exit 0
awk '
{ line = $0; sub(/#.*/, "", line); sub(/^[ \\t]+/, "", line); sub(/[ \\t]+$/, "", line) }
line ~ /^[A-Za-z_]+[ \\t]*[{]$/ { k = line; sub(/[ \\t]*[{]$/, "", k); depth++; block[depth] = k; next }
line == "}" { if (depth > 0) depth--; next }
line ~ /^[A-Za-z_]+[ \\t]*=/ {
  k = line; sub(/[ \\t]*=.*/, "", k)
  v = line; sub(/^[^=]*=[ \\t]*/, "", v)
  p = ""; for (i = 1; i <= depth; i++) p = p block[i] "."
  if (p k == "acl.tokens.agent") { print p k "=set"; next }
  if (k ~ /^(ca_file|verify_incoming|verify_incoming_rpc|verify_outgoing|verify_server_hostname|enabled|default_policy)$/) print p k "=" v
}' "$1"`;

/** The `key=value` lines a settings script printed, by key. */
export function settingLines(text: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) kv.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return kv;
}

/** The settings CONSUL_SETTINGS_SCRIPT printed, as the stages compare them. Consul's defaults where unset. */
export function parseConsulSettings(text: string): ConsulSecurity {
  const kv = settingLines(text);
  const on = (...keys: string[]) => keys.some((k) => kv.get(k) === "true");
  const caFile = kv.get("ca_file") ?? kv.get("tls.defaults.ca_file");
  return {
    // Consul < 1.12 spells TLS as top-level keys; 1.12+ as `tls { defaults, internal_rpc }` (np renders either).
    tls: caFile
      ? {
          verifyIncomingRpc: on(
            "verify_incoming",
            "verify_incoming_rpc",
            "tls.defaults.verify_incoming",
            "tls.internal_rpc.verify_incoming",
          ),
          verifyOutgoing: on(
            "verify_outgoing",
            "tls.defaults.verify_outgoing",
            "tls.internal_rpc.verify_outgoing",
          ),
          verifyServerHostname: on("verify_server_hostname", "tls.internal_rpc.verify_server_hostname"),
        }
      : null,
    acl: on("acl.enabled")
      ? {
          defaultPolicy: kv.get("acl.default_policy") === '"deny"' ? "deny" : "allow",
          agentToken: kv.get("acl.tokens.agent") === "set",
        }
      : null,
  };
}

/** Reads the TLS and ACL settings of the host's consul.hcl (one round trip; no secret leaves the host). */
export async function readConsulSettings(host: HostRun, config: string): Promise<ConsulSecurity> {
  const r = await host.conn.run(asRoot(shScript([config]), host.spec.ssh.user), {
    stdin: CONSUL_SETTINGS_SCRIPT,
    doing: `reading the TLS and ACL settings of ${config}`,
  });
  return parseConsulSettings(r.stdout);
}
