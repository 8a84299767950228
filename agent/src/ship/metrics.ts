import type { NodeReport } from "../report/node-report.js";
import { unitIsUp } from "../system/units.js";

/**
 * The records shipped to the metrics stream each interval: one `kind:"node"` record (CPU, load, memory, units,
 * allocations, the agent's own footprint) and one `kind:"disk"` record per configured disk. Flat fields, so
 * OpenObserve stores them as columns.
 */
export function metricRecords(r: NodeReport): object[] {
  const ts = Date.parse(r.reportedAt) * 1000;
  const base = { _timestamp: ts, node: r.node, datacenter: r.datacenter };
  const up = r.units.filter(unitIsUp).length;
  const node = {
    ...base,
    kind: "node",
    roles: r.roles.join(","),
    cpu_count: r.cpu.count,
    cpu_percent: r.cpu.usagePercent,
    load1: r.load?.["1m"] ?? null,
    load5: r.load?.["5m"] ?? null,
    load15: r.load?.["15m"] ?? null,
    mem_total_bytes: r.memory?.totalBytes ?? null,
    mem_available_bytes: r.memory?.availableBytes ?? null,
    mem_used_bytes: r.memory?.usedBytes ?? null,
    uptime_sec: r.uptimeSec,
    units_up: up,
    units_down: r.units.length - up,
    allocations: r.allocations?.length ?? null,
    agent_healthy: r.agent.healthy,
    agent_rss_bytes: r.agent.rssBytes,
    agent_cpu_percent: r.agent.cpuPercent,
    agent_problems: r.agent.problems.length,
  };
  const disks = r.disks.flatMap((d) =>
    "error" in d
      ? []
      : [
          {
            ...base,
            kind: "disk",
            path: d.path,
            disk_total_bytes: d.totalBytes,
            disk_free_bytes: d.freeBytes,
            disk_used_bytes: d.usedBytes,
            inodes_total: d.inodesTotal,
            inodes_free: d.inodesFree,
            inodes_used_percent: d.inodesUsedPercent,
          },
        ],
  );
  return [node, ...disks];
}
