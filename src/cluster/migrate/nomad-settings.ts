import type { NomadSecurity } from "../../components/nomad/migrate-stages.js";
import { asRoot, shScript } from "../../remote/command.js";
import type { HostRun } from "../context.js";
import { settingLines } from "./consul-settings.js";

/**
 * Prints the TLS and ACL settings of a nomad.hcl ("$1"), one `block.key=value` line each, and nothing else: the
 * file also holds the gossip key and Consul's token, which never leave the host. A line ending in `{` opens a
 * block (`tls {`, `meta = {`), a `}` closes one, as np writes them. Constant text: the path arrives as an argument.
 */
export const NOMAD_SETTINGS_SCRIPT = `test -f "$1" || exit 0
awk '
{ line = $0; sub(/#.*/, "", line); sub(/^[ \\t]+/, "", line); sub(/[ \\t]+$/, "", line) }
line ~ /[{]$/ { k = line; sub(/[ \\t]*=?[ \\t]*[{]$/, "", k); depth++; block[depth] = k; next }
line == "}" { if (depth > 0) depth--; next }
depth == 1 && line ~ /^[A-Za-z_]+[ \\t]*=/ {
  k = line; sub(/[ \\t]*=.*/, "", k)
  v = line; sub(/^[^=]*=[ \\t]*/, "", v)
  p = block[1] "." k
  if (p ~ /^(tls[.](http|rpc|rpc_upgrade_mode)|acl[.]enabled)$/) print p "=" v
}' "$1"`;

/** The settings NOMAD_SETTINGS_SCRIPT printed, as the stages compare them. Nomad's defaults (false) where unset. */
export function parseNomadSettings(text: string): NomadSecurity {
  const kv = settingLines(text);
  const on = (k: string) => kv.get(k) === "true";
  const anyTls = [...kv.keys()].some((k) => k.startsWith("tls."));
  return {
    tls: anyTls
      ? { http: on("tls.http"), rpc: on("tls.rpc"), rpcUpgradeMode: on("tls.rpc_upgrade_mode") }
      : null,
    acl: on("acl.enabled"),
  };
}

/** Reads the TLS and ACL settings of the host's nomad.hcl (one round trip; no secret leaves the host). */
export async function readNomadSettings(host: HostRun, config: string): Promise<NomadSecurity> {
  const r = await host.conn.run(asRoot(shScript([config]), host.spec.ssh.user), {
    stdin: NOMAD_SETTINGS_SCRIPT,
    doing: `reading the TLS and ACL settings of ${config}`,
  });
  return parseNomadSettings(r.stdout);
}
