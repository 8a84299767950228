import { counted } from "../output/counted.js";
import type { Inventory } from "./types.js";
import { ROLES } from "./types.js";

/** One line describing the cluster: `5 hosts: 3 servers, 3 clients, 1 edge, 1 observe`. */
export function describeInventory(inventory: Inventory): string {
  const hosts = inventory.hosts.length;
  const counts = ROLES.map((role) => {
    const n = inventory.hosts.filter((h) => h.roles.includes(role)).length;
    const plural = n !== 1 && (role === "server" || role === "client") ? "s" : "";
    return `${n} ${role}${plural}`;
  });
  const single = inventory.cluster.singleServer ? " (single server: development only)" : "";
  return `${counted(hosts, "host")}: ${counts.join(", ")}${single}`;
}
