import type { DiskPath } from "./facts-script.js";
import { effectiveMinimum, type Minimum, minimumFor, type RoleName } from "./minimums.js";
import type { DiskSpace, HostFacts } from "./parse-facts.js";

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
  /** The ports its components listen on (from src/components). */
  ports: readonly { port: number; proto: "tcp" | "udp" }[];
}

const SUPPORTED_ARCH = new Set(["x86_64", "aarch64"]);
const SUPPORTED_OS = new Set(["debian", "ubuntu"]);
/**
 * Free space np needs where it writes. /tmp: uploads are staged there, compressed and then unpacked beside the
 * compressed copy, and a host receives several at once (the largest binary, OpenObserve's, is about 300 MB
 * unpacked). /usr/local/bin: the binaries of every component (Consul, Nomad, Traefik, OpenObserve: about 700 MB
 * together), plus a second copy of the one being replaced during an upgrade. /var/lib: data (Raft logs,
 * snapshots, allocations). Paths on the same filesystem need the sum.
 */
export const DISK_NEEDS: Record<DiskPath, { mb: number; why: string }> = {
  "/tmp": { mb: 512, why: "to stage uploads" },
  "/usr/local/bin": { mb: 1024, why: "for binaries" },
  "/var/lib": { mb: 1024, why: "for data" },
};
const CLOCK_WARN_MS = 1000;
const CLOCK_REFUSE_MS = 5000;

const fmtCpu = (n: number | null) => (n === null ? "an unknown number of CPUs" : `${n} CPU`);
const fmtMb = (n: number | null) => (n === null ? "unknown RAM" : `${n} MB`);
const rolesText = (roles: readonly RoleName[]) => `role${roles.length === 1 ? "" : "s"} ${roles.join(", ")}`;

/** Judges one host's facts against the minimums of its roles and what np's services need. */
export function judgeHost(host: HostUnderCheck, facts: HostFacts, clockOffsetMs: number | null): HostVerdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  const minimum = effectiveMinimum(host.roles, host.override);
  // A fact that could not be read is a problem of its own, never a number that every comparison lets through.
  for (const u of facts.unreadable) problems.push(`could not read the ${u.fact}: got ${u.got}`);
  const { totalMb } = facts.memory;
  const short =
    (totalMb !== null && totalMb < minimum.memoryMb) || (facts.cpus !== null && facts.cpus < minimum.cpu);
  if (short) {
    const by = host.override ? " (minimum overridden in the inventory)" : "";
    problems.push(
      `${rolesText(host.roles)} need ${minimum.memoryMb} MB RAM and ${fmtCpu(minimum.cpu)}${by}; it has ${fmtMb(totalMb)} and ${fmtCpu(facts.cpus)}`,
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
  if (facts.arch !== "" && !SUPPORTED_ARCH.has(facts.arch))
    problems.push(`architecture ${facts.arch} is not supported (x86_64 or aarch64)`);
  const debianLike = SUPPORTED_OS.has(facts.os.id) || facts.os.like.split(" ").includes("debian");
  if (!debianLike) warnings.push(`${facts.os.pretty} is not Debian or Ubuntu; np is tested on those`);
  problems.push(...diskProblems(facts.disks));
  if (!facts.machineId)
    problems.push(
      "/etc/machine-id is empty; Nomad and Consul derive node IDs from it (run systemd-machine-id-setup)",
    );
  // A port held by a unit np wrote (its X-Np-Component marker) is np's own: a re-run, not a conflict.
  const needed = new Set(host.ports.map((p) => `${p.proto}/${p.port}`));
  const busy = facts.listening.filter(
    (p) => needed.has(`${p.proto}/${p.port}`) && (p.npComponents ?? []).length === 0,
  );
  for (const p of busy) {
    const who = p.processes.length > 0 ? ` by ${p.processes.join(", ")}` : "";
    problems.push(`port ${p.port}/${p.proto} is already in use${who}; np's services need it`);
  }
  // Without the host's clock there is no offset (the clock is already a problem above).
  const offset =
    facts.timeMs === null || clockOffsetMs === null || Number.isNaN(clockOffsetMs) ? null : clockOffsetMs;
  if (offset !== null) {
    const off = Math.abs(offset);
    const text = `clock differs from this machine's by ${(off / 1000).toFixed(1)} s`;
    if (off > CLOCK_REFUSE_MS)
      problems.push(`${text}; Raft and TLS need synchronised clocks: enable NTP (e.g. systemd-timesyncd)`);
    else if (off > CLOCK_WARN_MS) warnings.push(`${text}; enable NTP (e.g. systemd-timesyncd)`);
  }
  return { ...host, ok: problems.length === 0, facts, minimum, clockOffsetMs: offset, problems, warnings };
}

/** Too little free space, per filesystem: paths that share one need the sum of their needs. */
export function diskProblems(disks: readonly DiskSpace[]): string[] {
  const byMount = new Map<string, DiskSpace[]>();
  for (const d of disks) {
    if (d.freeMb === null || d.mount === "") continue;
    byMount.set(d.mount, [...(byMount.get(d.mount) ?? []), d]);
  }
  const problems: string[] = [];
  for (const [mount, on] of byMount) {
    const needs = on.map((d) => ({ path: d.path, ...DISK_NEEDS[d.path] }));
    const needMb = needs.reduce((sum, n) => sum + n.mb, 0);
    const freeMb = Math.min(...on.map((d) => d.freeMb ?? 0));
    if (freeMb >= needMb) continue;
    const paths = on.map((d) => d.path).join(", ");
    const why =
      needs.length === 1
        ? `${needMb} MB there ${needs[0]?.why}`
        : `${needMb} MB there: ${needs.map((n) => `${n.mb} MB ${n.why} in ${n.path}`).join(", ")}`;
    problems.push(`only ${freeMb} MB free in ${paths} (filesystem ${mount}); np needs at least ${why}`);
  }
  return problems;
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
