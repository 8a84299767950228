import { unitIsUp } from "../system/units.js";
import type { NodeReport } from "./node-report.js";

/** The compact row `np nodes` prints, kept in Consul KV at np/nodes/<node> (one GET of the prefix reads all). */
export interface NodeSummary {
  node: string;
  datacenter: string;
  roles: string[];
  address: string;
  port: number;
  /** The agent's own health: "ok", or "degraded" with its problems. */
  state: "ok" | "degraded";
  problems: string[];
  cpuCount: number;
  cpuPercent: number | null;
  load: [number, number, number] | null;
  memory: { usedBytes: number; totalBytes: number } | null;
  /** The first configured disk ("/" by default); every disk is in `disks`. */
  disk: { path: string; usedBytes: number; totalBytes: number } | null;
  disks: { path: string; usedBytes: number; totalBytes: number; inodesUsedPercent: number | null }[];
  /** Running or pending allocations; null without a Nomad client. */
  allocations: number | null;
  units: { up: number; down: number; downNames: string[] };
  versions: Record<string, string>;
  uptimeSec: number | null;
  reportedAt: string;
  intervalSec: number;
}

/** Condenses a full report into the KV summary. */
export function summarize(r: NodeReport, listen: { address: string; port: number }): NodeSummary {
  const disks = r.disks.flatMap((d) =>
    "error" in d
      ? []
      : [
          {
            path: d.path,
            usedBytes: d.usedBytes,
            totalBytes: d.totalBytes,
            inodesUsedPercent: d.inodesUsedPercent,
          },
        ],
  );
  const down = r.units.filter((u) => !unitIsUp(u)).map((u) => u.name);
  const first = disks[0];
  return {
    node: r.node,
    datacenter: r.datacenter,
    roles: r.roles,
    address: listen.address,
    port: listen.port,
    state: r.agent.healthy ? "ok" : "degraded",
    problems: r.agent.problems.filter((p) => p.level === "error").map((p) => `${p.id}: ${p.message}`),
    cpuCount: r.cpu.count,
    cpuPercent: r.cpu.usagePercent,
    load: r.load && [r.load["1m"], r.load["5m"], r.load["15m"]],
    memory: r.memory && { usedBytes: r.memory.usedBytes, totalBytes: r.memory.totalBytes },
    disk: first ? { path: first.path, usedBytes: first.usedBytes, totalBytes: first.totalBytes } : null,
    disks,
    allocations: r.allocations ? r.allocations.length : null,
    units: { up: r.units.length - down.length, down: down.length, downNames: down },
    versions: r.versions,
    uptimeSec: r.uptimeSec,
    reportedAt: r.reportedAt,
    intervalSec: r.intervalSec,
  };
}
