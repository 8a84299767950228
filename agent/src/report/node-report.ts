import type { AllocationSummary } from "../nomad/allocations.js";
import type { Problem } from "../problems.js";
import type { DiskUsage } from "../system/disks.js";
import type { MemInfo } from "../system/meminfo.js";
import type { UnitState } from "../system/units.js";

/** Counters of what the agent shipped to OpenObserve since it started (per stream name). */
export interface ShippingStatus {
  enabled: boolean;
  spool: { batches: number; records: number; bytes: number; maxBytes: number };
  shippedRecords: Record<string, number>;
  /** Records dropped because the buffer was full (the oldest go first). */
  droppedRecords: number;
  /** Records OpenObserve answered as failed (not retried: it would reject them again). */
  rejectedRecords: number;
  lastShippedAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

/** The agent's own state. */
export interface AgentSelf {
  version: string;
  pid: number;
  startedAt: string;
  healthy: boolean;
  problems: Problem[];
  rssBytes: number;
  cpuPercent: number | null;
  shipping: ShippingStatus;
  logFilesTailed: number;
}

/** GET /v1/node: everything the agent knows about its node. */
export interface NodeReport {
  node: string;
  datacenter: string;
  roles: string[];
  reportedAt: string;
  intervalSec: number;
  uptimeSec: number | null;
  cpu: { count: number; usagePercent: number | null };
  load: { "1m": number; "5m": number; "15m": number } | null;
  memory: MemInfo | null;
  disks: (DiskUsage | { path: string; error: string })[];
  versions: Record<string, string>;
  units: UnitState[];
  /** Allocations running or pending on the node; null when the node has no Nomad client (or it is unreadable). */
  allocations: AllocationSummary[] | null;
  agent: AgentSelf;
}
