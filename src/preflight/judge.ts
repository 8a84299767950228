import { effectiveMinimum, type Minimum, minimumFor, type RoleName } from "./minimums.js";
import type { HostFacts } from "./parse-facts.js";

/** What preflight decided about one host. */
export interface HostVerdict {
  name: string;
  address: string;
  roles: RoleName[];
  ok: boolean;
  /** Null when the host could not be reached. */
  facts: HostFacts | null;
  minimum: Minimum;
  /** Estimated clock offset against the operator's machine, in ms (positive: the host is ahead). */
  clockOffsetMs: number | null;
  problems: string[];
  warnings: string[];
  unreachable?: string;
}

export interface HostUnderCheck {
  name: string;
  address: string;
  roles: RoleName[];
  override?: { memoryMb?: number; cpu?: number };
}

const SUPPORTED_ARCH = new Set(["x86_64", "aarch64"]);
const SUPPORTED_OS = new Set(["debian", "ubuntu"]);
/** np's own services: a port they hold is not a conflict (a re-run after `np up`). */
const OUR_UNITS = new Set([
  "consul.service",
  "nomad.service",
  "traefik.service",
  "openobserve.service",
  "np-agent.service",
]);
const MIN_DISK_MB = 1024;
const CLOCK_WARN_MS = 1000;
const CLOCK_REFUSE_MS = 5000;

/** Ports np's services need on a host with these roles (TCP unless noted by the service). */
export function portsFor(roles: readonly RoleName[]): number[] {
  const ports = new Set([4646, 4647, 4648, 8300, 8301, 8302, 8500, 8600]);
  if (roles.includes("edge")) for (const p of [80, 443]) ports.add(p);
  if (roles.includes("observe")) ports.add(5080);
  return [...ports].sort((a, b) => a - b);
}

const fmtCpu = (n: number) => `${n} CPU`;
const rolesText = (roles: readonly RoleName[]) => `role${roles.length === 1 ? "" : "s"} ${roles.join(", ")}`;

/** Judges one host's facts against the minimums of its roles and what np's services need. */
export function judgeHost(host: HostUnderCheck, facts: HostFacts, clockOffsetMs: number | null): HostVerdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  const minimum = effectiveMinimum(host.roles, host.override);
  const short = facts.memory.totalMb < minimum.memoryMb || facts.cpus < minimum.cpu;
  if (short) {
    const by = host.override ? " (minimum overridden in the inventory)" : "";
    problems.push(
      `${rolesText(host.roles)} need ${minimum.memoryMb} MB RAM and ${fmtCpu(minimum.cpu)}${by}; it has ${facts.memory.totalMb} MB and ${fmtCpu(facts.cpus)}`,
    );
  }
  if (host.override) {
    const base = minimumFor(host.roles);
    warnings.push(
      `preflight minimums overridden by the inventory: ${minimum.memoryMb} MB RAM and ${fmtCpu(minimum.cpu)} instead of ${base.memoryMb} MB and ${fmtCpu(base.cpu)}`,
    );
  }
  if (!facts.systemd)
    problems.push("systemd is not running as the init system; np installs services as systemd units");
  if (!SUPPORTED_ARCH.has(facts.arch))
    problems.push(`architecture ${facts.arch} is not supported (x86_64 or aarch64)`);
  const debianLike = SUPPORTED_OS.has(facts.os.id) || facts.os.like.split(" ").includes("debian");
  if (!debianLike) warnings.push(`${facts.os.pretty} is not Debian or Ubuntu; np is tested on those`);
  if (facts.disk.freeMb < MIN_DISK_MB) {
    problems.push(
      `only ${facts.disk.freeMb} MB free on ${facts.disk.mount || facts.disk.path}; binaries and data need at least ${MIN_DISK_MB} MB`,
    );
  }
  if (!facts.machineId)
    problems.push(
      "/etc/machine-id is empty; Nomad and Consul derive node IDs from it (run systemd-machine-id-setup)",
    );
  const busy = facts.listening.filter(
    (p) => portsFor(host.roles).includes(p.port) && !(p.units ?? []).some((unit) => OUR_UNITS.has(unit)),
  );
  for (const p of busy) {
    const who = p.processes.length > 0 ? ` by ${p.processes.join(", ")}` : "";
    problems.push(`port ${p.port}/${p.proto} is already in use${who}; np's services need it`);
  }
  if (clockOffsetMs !== null) {
    const off = Math.abs(clockOffsetMs);
    const text = `clock differs from this machine's by ${(off / 1000).toFixed(1)} s`;
    if (off > CLOCK_REFUSE_MS)
      problems.push(`${text}; Raft and TLS need synchronised clocks: enable NTP (e.g. systemd-timesyncd)`);
    else if (off > CLOCK_WARN_MS) warnings.push(`${text}; enable NTP (e.g. systemd-timesyncd)`);
  }
  return { ...host, ok: problems.length === 0, facts, minimum, clockOffsetMs, problems, warnings };
}

/** Rules across hosts: machine-ids and hostnames must be unique (cloned VMs often share them). */
export function judgeAcrossHosts(verdicts: HostVerdict[]): void {
  for (const [field, label, fix] of [
    ["machineId", "machine-id", "regenerate it: rm /etc/machine-id && systemd-machine-id-setup"],
    ["hostname", "hostname", "give each host its own hostname (hostnamectl set-hostname)"],
  ] as const) {
    const byValue = new Map<string, HostVerdict[]>();
    for (const v of verdicts) {
      const value = v.facts?.[field];
      if (value) byValue.set(value, [...(byValue.get(value) ?? []), v]);
    }
    for (const [value, same] of byValue) {
      if (same.length < 2) continue;
      for (const v of same) {
        const others = same.filter((o) => o !== v).map((o) => o.name);
        v.problems.push(`${label} ${value} is the same as on ${others.join(", ")}; ${fix}`);
        v.ok = false;
      }
    }
  }
}

/** A verdict for a host that could not be reached. */
export function unreachableVerdict(host: HostUnderCheck, reason: string): HostVerdict {
  return {
    ...host,
    ok: false,
    facts: null,
    minimum: effectiveMinimum(host.roles, host.override),
    clockOffsetMs: null,
    problems: [],
    warnings: [],
    unreachable: reason,
  };
}
