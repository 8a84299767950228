/** Parsers for what FACTS_SCRIPT prints: its sections, key=value lines, /proc/meminfo, disks and sockets. */
import { DISK_PATHS, type DiskPath } from "./facts-script.js";

export interface ListeningPort {
  proto: "tcp" | "udp";
  port: number;
  /** Process names holding the socket, when known (ss -p as root). */
  processes: string[];
  /** systemd units of those processes, when known (e.g. "nomad.service"). */
  units?: string[];
  /** np components whose units (marked `X-Np-Component=`) hold the socket: np's own, not a conflict. */
  npComponents?: string[];
}

/** Free space where np writes, from `df -Pk`. Null numbers could not be read (see HostFacts.unreadable). */
export interface DiskSpace {
  path: DiskPath;
  mount: string;
  totalMb: number | null;
  freeMb: number | null;
}

/** A fact the host gave no usable value for: preflight refuses the host and names the fact and the value. */
export interface UnreadableFact {
  fact: string;
  got: string;
}

export interface HostFacts {
  os: { id: string; like: string; version: string; pretty: string };
  arch: string;
  kernel: string;
  hostname: string;
  machineId: string;
  /** Null when it could not be read (then listed in `unreadable`), never NaN. */
  cpus: number | null;
  systemd: boolean;
  uid: number | null;
  /** The host's clock when the script ran, in ms since the epoch. */
  timeMs: number | null;
  memory: { totalMb: number | null; availableMb: number | null };
  /** Free space under /var/lib (data). */
  disk: DiskSpace;
  /** Free space of every path np writes to (DISK_PATHS). */
  disks: DiskSpace[];
  listening: ListeningPort[];
  /** Facts that were missing, empty or unparsable; each is a preflight problem. */
  unreadable: UnreadableFact[];
}

/**
 * Splits script output into its sections: a section starts at a `--name NONCE` line carrying this run's nonce
 * and runs to the next one. Lines before the first marker, and marker-like lines without the nonce (file contents
 * the script printed), are never markers. Empty lines are dropped.
 */
export function splitSections(text: string, nonce: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  const suffix = ` ${nonce}`;
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const marker = line.endsWith(suffix) ? /^--([a-z-]+)$/.exec(line.slice(0, -suffix.length)) : null;
    if (nonce !== "" && marker?.[1]) {
      current = [];
      sections.set(marker[1], current);
    } else if (current && line.trim() !== "") {
      current.push(line);
    }
  }
  return sections;
}

/** os-release(5): KEY=value lines, values optionally quoted ("…" with backslash escapes, or '…'). */
export function parseOsRelease(lines: string[]): HostFacts["os"] {
  const v = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m?.[1]) continue;
    let value = m[2] ?? "";
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(["\\$`])/g, "$1");
    } else if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) {
      value = value.slice(1, -1);
    }
    v.set(m[1], value);
  }
  return {
    id: v.get("ID") ?? "unknown",
    like: v.get("ID_LIKE") ?? "",
    version: v.get("VERSION_ID") ?? "",
    pretty: v.get("PRETTY_NAME") ?? v.get("NAME") ?? "unknown",
  };
}

/**
 * /proc/meminfo → MB (the kernel reports kB). MemAvailable is missing on very old kernels: fall back to MemFree.
 * A value that is missing or not a number is null.
 */
export function parseMeminfo(lines: string[]): { totalMb: number | null; availableMb: number | null } {
  const kb = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\w+):\s+(\d+)( kB)?$/.exec(line.trim());
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]));
  }
  const mb = (v: number | undefined) => (v === undefined ? null : Math.floor(v / 1024));
  const total = kb.get("MemTotal");
  return {
    totalMb: total === undefined || total === 0 ? null : mb(total),
    availableMb: mb(kb.get("MemAvailable") ?? kb.get("MemFree")),
  };
}

/** Who owns a listening process: its systemd unit, and the np component that unit declares (if np wrote it). */
export interface PortOwner {
  unit: string;
  npComponent: string;
}

/** The owners section: `PID UNIT COMPONENT` lines (unit and component may be empty). */
export function parseOwners(lines: string[]): Map<string, PortOwner> {
  return new Map(
    lines.map((l) => {
      const [pid = "", unit = "", npComponent = ""] = l.trim().split(/\s+/);
      return [pid, { unit, npComponent }] as const;
    }),
  );
}

/** `ss -Htulnp` lines: `tcp LISTEN 0 4096 0.0.0.0:8500 0.0.0.0:* users:(("consul",pid=1,fd=7))`. */
export function parseSs(lines: string[], owners: Map<string, PortOwner> = new Map()): ListeningPort[] {
  const ports: ListeningPort[] = [];
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    const netid = cols[0];
    const local = cols[4];
    if ((netid !== "tcp" && netid !== "udp") || !local) continue;
    const port = Number(local.slice(local.lastIndexOf(":") + 1));
    if (!Number.isInteger(port)) continue;
    const processes = [...line.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1] ?? "");
    const owned = [...line.matchAll(/,pid=(\d+),/g)].map((m) => owners.get(m[1] ?? ""));
    const units = owned.map((o) => o?.unit ?? "").filter(Boolean);
    const npComponents = owned.map((o) => o?.npComponent ?? "").filter(Boolean);
    ports.push({ proto: netid, port, processes, units, npComponents });
  }
  return ports;
}

/** /proc/net/{tcp,udp}[6] rows prefixed with their file name; listening TCP is state 0A, bound UDP is 07. */
export function parseProcNet(lines: string[]): ListeningPort[] {
  const ports: ListeningPort[] = [];
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    const [file, , local, , state] = cols;
    if (!file || !local || !state) continue;
    const proto = file.startsWith("tcp") ? "tcp" : "udp";
    if ((proto === "tcp" && state !== "0A") || (proto === "udp" && state !== "07")) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    if (Number.isInteger(port)) ports.push({ proto, port, processes: [] });
  }
  return ports;
}

/** How a value np could not use is quoted in a problem: "got 'x'", or "got nothing". */
function shown(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === "") return "nothing";
  const one = raw.replace(/\s+/g, " ").trim();
  return `'${one.length > 40 ? `${one.slice(0, 40)}…` : one}'`;
}

/** A whole number (digits only): nproc, df and date print nothing else when they work. */
function wholeNumber(raw: string | undefined): number | null {
  return raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : null;
}

/** `path total_kb free_kb mount` lines of the disks section, for each of DISK_PATHS. */
function parseDisks(lines: string[], unreadable: UnreadableFact[]): DiskSpace[] {
  return DISK_PATHS.map((path) => {
    const line = lines.find((l) => l.startsWith(`${path} `));
    const [, total, free, ...mount] = (line ?? "").split(" ");
    const totalKb = wholeNumber(total);
    const freeKb = wholeNumber(free);
    if (totalKb === null || freeKb === null)
      unreadable.push({ fact: `free space in ${path}`, got: shown(line?.slice(path.length + 1)) });
    return {
      path,
      mount: mount.join(" "),
      totalMb: totalKb === null ? null : Math.floor(totalKb / 1024),
      freeMb: freeKb === null ? null : Math.floor(freeKb / 1024),
    };
  });
}

/**
 * Parses the whole FACTS_SCRIPT output of the run with this nonce; throws when the output is cut short. A fact
 * the host gave no usable value for is null (never NaN) and listed in `unreadable`.
 */
export function parseFacts(text: string, nonce: string): HostFacts {
  const sections = splitSections(text, nonce);
  if (!sections.has("end")) throw new Error("the facts script did not finish");
  const head = new Map<string, string>();
  for (const line of sections.get("facts") ?? []) {
    const eq = line.indexOf("=");
    if (eq > 0 && !head.has(line.slice(0, eq))) head.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const unreadable: UnreadableFact[] = [];
  const required = (key: string, fact: string, valid: (n: number) => boolean): number | null => {
    const n = wholeNumber(head.get(key));
    if (n !== null && valid(n)) return n;
    unreadable.push({ fact, got: shown(head.get(key)) });
    return null;
  };
  const arch = head.get("arch")?.trim() ?? "";
  if (arch === "") unreadable.push({ fact: "architecture", got: "nothing" });
  const cpus = required("cpus", "CPU count", (n) => n >= 1);
  const memLines = sections.get("meminfo") ?? [];
  const memory = parseMeminfo(memLines);
  if (memory.totalMb === null)
    unreadable.push({ fact: "memory size", got: shown(memLines.find((l) => l.startsWith("MemTotal"))) });
  // Milliseconds since 1970: at least 12 digits since 2001 (busybox's date prints "%3N" literally).
  const timeMs = required("time_ms", "clock", (n) => n >= 1e12);
  const disks = parseDisks(sections.get("disks") ?? [], unreadable);
  // pid → systemd unit and np's marker, so ports held by np's own services are recognised by what np wrote into
  // their unit files, whatever the process or unit is called (a Consul someone else installed is not np's).
  const owners = parseOwners(sections.get("owners") ?? []);
  const listening = sections.has("ss")
    ? parseSs(sections.get("ss") ?? [], owners)
    : parseProcNet(sections.get("proc-net") ?? []);
  return {
    os: parseOsRelease(sections.get("os-release") ?? []),
    arch,
    kernel: head.get("kernel") ?? "",
    hostname: head.get("hostname") ?? "",
    machineId: head.get("machine_id") ?? "",
    cpus,
    systemd: head.get("systemd") === "yes",
    uid: wholeNumber(head.get("uid")),
    timeMs,
    memory,
    disk: disks.find((d) => d.path === "/var/lib") ?? {
      path: "/var/lib",
      mount: "",
      totalMb: null,
      freeMb: null,
    },
    disks,
    listening: dedupe(listening),
    unreadable,
  };
}

function dedupe(ports: ListeningPort[]): ListeningPort[] {
  const seen = new Map<string, ListeningPort>();
  for (const p of ports) {
    const key = `${p.proto}/${p.port}`;
    const prev = seen.get(key);
    if (prev) {
      prev.processes = [...new Set([...prev.processes, ...p.processes])];
      prev.units = [...new Set([...(prev.units ?? []), ...(p.units ?? [])])];
      prev.npComponents = [...new Set([...(prev.npComponents ?? []), ...(p.npComponents ?? [])])];
    } else
      seen.set(key, {
        ...p,
        processes: [...p.processes],
        units: [...(p.units ?? [])],
        npComponents: [...(p.npComponents ?? [])],
      });
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}
