import os from "node:os";
import type { AgentConfig } from "../config.js";
import { readText } from "../fsp.js";
import type { TlsIdentity } from "../http/client.js";
import {
  type AllocationSummary,
  allocationIsLive,
  fetchNodeAllocations,
  readClientId,
  readNomadTls,
} from "../nomad/allocations.js";
import type { Problems } from "../problems.js";
import { type CpuTimes, cpuPercent, parseProcStat } from "../system/cpu.js";
import { diskUsage } from "../system/disks.js";
import { parseLoadavg, parseMeminfo, parseUptime } from "../system/meminfo.js";
import { readUnits, type UnitState } from "../system/units.js";
import type { NodeReport } from "./node-report.js";

/** What a collection gathered about the node (the agent's own part is added by the caller). */
export type NodeFacts = Omit<NodeReport, "agent" | "reportedAt">;

/** The job and group of an allocation, for the fields of its log lines. */
export interface AllocMeta {
  job: string;
  group: string;
}

/**
 * Reads the node's resources, units and allocations once per interval. Each source that fails is reported as a
 * problem under its own key and left null or empty in the report; the rest still goes out.
 */
export class NodeCollector {
  private prevCpu: CpuTimes | null = null;
  /** Every allocation Nomad lists for the node (also finished ones whose logs remain), by ID. */
  readonly allocMeta = new Map<string, AllocMeta>();
  /** Nomad's CA and the agent's client certificate, read once (np restarts the agent when they change). */
  private nomadTls: TlsIdentity | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly problems: Problems,
  ) {}

  /** Takes the first CPU reading, so that the first report has a usage figure. */
  async prime(): Promise<void> {
    this.prevCpu = await this.attempt("proc:stat", async () => parseProcStat(await readText("/proc/stat")));
  }

  private async attempt<T>(id: string, fn: () => Promise<T>, level: "error" | "warning" = "error") {
    try {
      const v = await fn();
      this.problems.clear(id);
      return v;
    } catch (err) {
      this.problems.set(id, level, (err as Error).message);
      return null;
    }
  }

  /** Gathers one report's worth of facts. */
  async collect(): Promise<NodeFacts> {
    const c = this.config;
    const [cpu, mem, load, uptime, disks, units, allocations] = await Promise.all([
      this.attempt("proc:stat", async () => parseProcStat(await readText("/proc/stat"))),
      this.attempt("proc:meminfo", async () => parseMeminfo(await readText("/proc/meminfo"))),
      this.attempt("proc:loadavg", async () => parseLoadavg(await readText("/proc/loadavg"))),
      this.attempt("proc:uptime", async () => parseUptime(await readText("/proc/uptime"))),
      Promise.all(
        c.disks.map(async (d) => {
          const u = await this.attempt(`disk:${d}`, () => diskUsage(d));
          return u ?? { path: d, error: "unreadable (see problems)" };
        }),
      ),
      this.attempt("units", () => readUnits(c.units)),
      this.readAllocations(),
    ]);
    const usage = cpu && this.prevCpu ? cpuPercent(this.prevCpu, cpu) : null;
    if (cpu) this.prevCpu = cpu;
    return {
      node: c.node,
      datacenter: c.datacenter,
      roles: c.roles,
      intervalSec: c.intervalSec,
      uptimeSec: uptime,
      // availableParallelism honours the CPU affinity mask, like nproc.
      cpu: { count: os.availableParallelism(), usagePercent: usage },
      load: load && { "1m": load[0], "5m": load[1], "15m": load[2] },
      memory: mem,
      disks,
      versions: c.versions,
      units: units ?? ([] as UnitState[]),
      allocations,
    };
  }

  private async readAllocations(): Promise<AllocationSummary[] | null> {
    const nomad = this.config.nomad;
    if (!nomad || !this.config.roles.includes("client")) return null;
    const id = await this.attempt("nomad:client-id", () => readClientId(nomad.dataDir));
    if (!id) return null;
    const files = nomad.tls;
    const all = await this.attempt("nomad:allocations", async () => {
      if (files) this.nomadTls ??= await readNomadTls(files);
      return fetchNodeAllocations(nomad.address, nomad.token, id, this.nomadTls ?? undefined);
    });
    if (!all) return null;
    this.allocMeta.clear();
    for (const a of all) this.allocMeta.set(a.id, { job: a.jobId, group: a.taskGroup });
    return all.filter(allocationIsLive);
  }
}
