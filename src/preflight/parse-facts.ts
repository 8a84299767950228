/** Parsers for what FACTS_SCRIPT prints: key=value lines, /proc/meminfo, and listening sockets. */

export interface ListeningPort {
  proto: "tcp" | "udp";
  port: number;
  /** Process names holding the socket, when known (ss -p as root). */
  processes: string[];
  /** systemd units of those processes, when known (e.g. "nomad.service"). */
  units?: string[];
}

export interface HostFacts {
  os: { id: string; like: string; version: string; pretty: string };
  arch: string;
  kernel: string;
  hostname: string;
  machineId: string;
  cpus: number;
  systemd: boolean;
  uid: number;
  /** The host's clock when the script ran, in ms since the epoch. */
  timeMs: number;
  memory: { totalMb: number; availableMb: number };
  disk: { path: string; mount: string; totalMb: number; freeMb: number };
  listening: ListeningPort[];
}

/** Splits the script output into the key=value head and its named sections. */
export function splitSections(text: string): { head: Map<string, string>; sections: Map<string, string[]> } {
  const head = new Map<string, string>();
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const marker = /^--([a-z-]+)$/.exec(line);
    if (marker?.[1]) {
      current = [];
      sections.set(marker[1], current);
    } else if (current) {
      if (line.trim() !== "") current.push(line);
    } else {
      const eq = line.indexOf("=");
      if (eq > 0) head.set(line.slice(0, eq), line.slice(eq + 1));
    }
  }
  return { head, sections };
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

/** /proc/meminfo → MB (the kernel reports kB). MemAvailable is missing on very old kernels: fall back to MemFree. */
export function parseMeminfo(lines: string[]): { totalMb: number; availableMb: number } {
  const kb = new Map<string, number>();
  for (const line of lines) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m?.[1] && m[2]) kb.set(m[1], Number(m[2]));
  }
  const total = kb.get("MemTotal");
  if (total === undefined) throw new Error("no MemTotal in /proc/meminfo");
  const available = kb.get("MemAvailable") ?? kb.get("MemFree") ?? 0;
  return { totalMb: Math.floor(total / 1024), availableMb: Math.floor(available / 1024) };
}

/** `ss -Htulnp` lines: `tcp LISTEN 0 4096 0.0.0.0:8500 0.0.0.0:* users:(("consul",pid=1,fd=7))`. */
export function parseSs(lines: string[], owners: Map<string, string> = new Map()): ListeningPort[] {
  const ports: ListeningPort[] = [];
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    const netid = cols[0];
    const local = cols[4];
    if ((netid !== "tcp" && netid !== "udp") || !local) continue;
    const port = Number(local.slice(local.lastIndexOf(":") + 1));
    if (!Number.isInteger(port)) continue;
    const processes = [...line.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1] ?? "");
    const units = [...line.matchAll(/,pid=(\d+),/g)].map((m) => owners.get(m[1] ?? "") ?? "").filter(Boolean);
    ports.push({ proto: netid, port, processes, units });
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

/** Parses the whole FACTS_SCRIPT output; throws when the output is cut short. */
export function parseFacts(text: string): HostFacts {
  const { head, sections } = splitSections(text);
  if (!sections.has("end")) throw new Error("the facts script did not finish");
  const num = (k: string) => Number(head.get(k) ?? Number.NaN);
  // pid → systemd unit, so ports held by np's own services are recognised whatever the process is called.
  const owners = new Map((sections.get("owners") ?? []).map((l) => l.split(" ", 2) as [string, string]));
  const listening = sections.has("ss")
    ? parseSs(sections.get("ss") ?? [], owners)
    : parseProcNet(sections.get("proc-net") ?? []);
  return {
    os: parseOsRelease(sections.get("os-release") ?? []),
    arch: head.get("arch") ?? "unknown",
    kernel: head.get("kernel") ?? "",
    hostname: head.get("hostname") ?? "",
    machineId: head.get("machine_id") ?? "",
    cpus: num("cpus"),
    systemd: head.get("systemd") === "yes",
    uid: num("uid"),
    timeMs: num("time_ms"),
    memory: parseMeminfo(sections.get("meminfo") ?? []),
    disk: {
      path: "/var/lib",
      mount: head.get("disk_mount") ?? "",
      totalMb: Math.floor(num("disk_total_kb") / 1024),
      freeMb: Math.floor(num("disk_free_kb") / 1024),
    },
    listening: dedupe(listening),
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
    } else seen.set(key, { ...p, processes: [...p.processes], units: [...(p.units ?? [])] });
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}
