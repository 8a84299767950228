import type { Problem } from "../yaml-config/problem.js";
import { asMap, viewHosts } from "./raw-view.js";
import { checkHostIdentity } from "./rules-hosts.js";
import { checkRoleCounts } from "./rules-roles.js";
import { checkArtifacts, checkOverrides } from "./rules-sections.js";

/** Rules that involve several keys; they read the parsed YAML leniently so they run beside schema problems. */
export function checkRules(raw: unknown): Problem[] {
  const hosts = viewHosts(raw);
  return [
    ...checkHostIdentity(hosts),
    ...checkRoleCounts(hosts, asMap(asMap(raw)?.cluster)?.single_server),
    ...checkArtifacts(raw),
    ...checkOverrides(raw, hosts),
  ];
}
