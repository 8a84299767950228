import { COMPONENTS } from "../components/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";

/** How `np up` ends: what runs where (per component) and how to reach each UI. */
export function clusterSummary(inv: Inventory): string[] {
  const names = (hosts: HostSpec[]) => hosts.map((h) => h.name).join(", ");
  const lines = COMPONENTS.flatMap((c) => {
    const hosts = inv.hosts.filter((h) => c.runsOn(h));
    if (hosts.length === 0) return [];
    if (c.raft) {
      const servers = hosts.filter((h) => c.restartPolicy(h) === "quorum");
      const others = hosts.filter((h) => c.restartPolicy(h) !== "quorum");
      return [`  ${c.name}: servers ${names(servers)}${others.length ? `; agents ${names(others)}` : ""}`];
    }
    return [`  ${c.name}: ${names(hosts)}`];
  });
  const edges = inv.hosts.filter((h) => h.roles.includes("edge"));
  const open = ["consul", "nomad"];
  if (inv.hosts.some((h) => h.roles.includes("observe"))) open.unshift("openobserve");
  if (inv.traefik.dashboardHost) open.push("traefik");
  return [
    "what runs where:",
    ...lines,
    ...(edges.length
      ? [`apps are served through the edges: ${edges.map((h) => `http://${h.address}`).join(", ")}`]
      : []),
    `UIs, through SSH: ${open.map((u) => `np open ${u}`).join(" · ")}`,
  ];
}
