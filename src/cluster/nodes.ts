import path from "node:path";
import type { ConsulApi } from "../api/consul.js";
import { HostError, HostsFailed, OperationError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import { Session } from "../remote/session.js";
import { ApiTunnels, consulAccessOf } from "./apis.js";

/** The summary np-agent keeps in Consul KV at np/nodes/<node> (agent/src/consul: its contract). */
export interface AgentSummary {
  node: string;
  roles: string[];
  state: string;
  problems: string[];
  cpuCount: number;
  cpuPercent: number | null;
  load: number[];
  memory: { usedBytes: number; totalBytes: number } | null;
  disk: { path: string; usedBytes: number; totalBytes: number } | null;
  allocations: number | null;
  units: { up: number; down: number; downNames: string[] };
  versions: Record<string, string>;
  reportedAt: string;
  intervalSec: number;
}

/** One row of `np nodes`: the inventory host and what its agent last reported. */
export interface NodeReport {
  name: string;
  roles: string[];
  /** fresh: reported within 3 intervals; stale: older; missing: no report at all. */
  agent: "fresh" | "stale" | "missing";
  ageSec: number | null;
  summary: AgentSummary | null;
}

/** Reads every agent's summary in one request (Consul KV, recursive) and judges each report's age. */
export function judgeReports(inv: Inventory, summaries: AgentSummary[], now = Date.now()): NodeReport[] {
  return inv.hosts.map((h) => {
    const s = summaries.find((x) => x.node === h.name) ?? null;
    if (!s) return { name: h.name, roles: h.roles, agent: "missing", ageSec: null, summary: null };
    const ageSec = Math.max(0, Math.round((now - Date.parse(s.reportedAt)) / 1000));
    const stale = !(ageSec <= 3 * (s.intervalSec || 10));
    return { name: h.name, roles: h.roles, agent: stale ? "stale" : "fresh", ageSec, summary: s };
  });
}

/** Decodes a Consul KV listing (`?recurse`: base64 values) into the agents' summaries, skipping junk values. */
export function decodeSummaries(entries: { Key: string; Value: string | null }[]): AgentSummary[] {
  return entries.flatMap((e) => {
    if (!e.Value) return [];
    try {
      const s = JSON.parse(Buffer.from(e.Value, "base64").toString("utf8")) as AgentSummary;
      return typeof s.node === "string" && typeof s.reportedAt === "string" ? [s] : [];
    } catch {
      return [];
    }
  });
}

/** The agents' reports, through an SSH tunnel to the first server whose Consul answers. */
export async function readNodeReports(inv: Inventory, signal: AbortSignal): Promise<NodeReport[]> {
  const servers = inv.hosts.filter((h) => h.roles.includes("server"));
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  const tunnels = new ApiTunnels(await consulAccessOf(inv));
  const failures: HostError[] = [];
  try {
    for (const h of servers) {
      let consul: ConsulApi;
      try {
        consul = tunnels.for("consul", await session.connect(h), h.privateAddress);
        return judgeReports(inv, decodeSummaries(await consul.kvList("np/nodes/")));
      } catch (err) {
        if (err instanceof HostError) failures.push(err);
        else if (err instanceof OperationError) failures.push(new HostError(h.name, err.message));
        else throw err;
      }
    }
    throw new HostsFailed(failures);
  } finally {
    await tunnels.close();
    await session.close();
  }
}
