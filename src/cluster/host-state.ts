import { splitSections } from "../preflight/parse-facts.js";

/** What a path is on the host right now. */
export interface PathState {
  kind: "file" | "dir" | "none";
  mode?: string;
  owner?: string;
  group?: string;
  sha256?: string;
  /** The sha256 came from np's checksum cache rather than from hashing the file now. */
  shaCached?: boolean;
}

export interface UnitState {
  loaded: boolean;
  active: string;
  mainPid: number;
  enabled: boolean;
  needsDaemonReload: boolean;
}

/** A host's actual state, read in one round trip (STATE_SCRIPT). */
export interface HostState {
  paths: Map<string, PathState>;
  units: Map<string, UnitState>;
  /** System users that exist, with their groups. */
  users: Map<string, string[]>;
  /** Units whose restart an earlier, interrupted run left pending. */
  pendingRestarts: Set<string>;
}

/** The host's output makes no sense: np stops rather than "fixing" the same thing on every run. */
export class UnreadableState extends Error {}

const LOAD_STATES = new Set(["loaded", "not-found", "bad-setting", "error", "masked", "stub", "merged"]);
const ACTIVE_STATES = new Set([
  "active",
  "reloading",
  "inactive",
  "failed",
  "activating",
  "deactivating",
  "maintenance",
  "refreshing",
]);

/** One `systemctl show` line (`Key=value` pairs) checked against the values systemd can print. */
function parseUnit(line: string): [string, UnitState] | null {
  const props = new Map(
    line
      .trim()
      .split(/\s+/)
      .filter((kv) => kv.includes("="))
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as const),
  );
  const id = props.get("Id");
  if (!id) return null;
  const load = props.get("LoadState") ?? "";
  const active = props.get("ActiveState") ?? "";
  const pid = props.get("MainPID") ?? "";
  if (!LOAD_STATES.has(load) || !ACTIVE_STATES.has(active) || !/^\d+$/.test(pid))
    throw new UnreadableState(
      `systemctl show ${id} printed something np cannot read: ${line.trim().slice(0, 160)}`,
    );
  return [
    id.replace(/\.service$/, ""),
    {
      loaded: load === "loaded",
      active,
      mainPid: Number(pid),
      enabled: props.get("UnitFileState") === "enabled",
      needsDaemonReload: props.get("NeedDaemonReload") === "yes",
    },
  ];
}

/** Parses STATE_SCRIPT output. Modes are normalised to four octal digits ("640" → "0640"). */
export function parseHostState(text: string, nonce: string, units: readonly string[]): HostState {
  const sections = splitSections(text, nonce);
  if (!sections.has("done")) throw new UnreadableState("the state script did not finish");
  const paths = new Map<string, PathState>();
  for (const line of sections.get("paths") ?? []) {
    const [kind, mode, owner, group, sha, cached, ...rest] = line.split("|");
    const p = rest.join("|");
    const meta = { mode: (mode ?? "").padStart(4, "0"), owner, group };
    if (kind === "none") paths.set(p, { kind: "none" });
    else if (kind === "dir") paths.set(p, { kind, ...meta });
    else if (kind === "file") paths.set(p, { kind, ...meta, sha256: sha, shaCached: cached === "1" });
  }
  const unitStates = new Map<string, UnitState>();
  for (const line of sections.get("units") ?? []) {
    const parsed = parseUnit(line);
    if (parsed) unitStates.set(...parsed);
  }
  for (const u of units)
    if (!unitStates.has(u))
      throw new UnreadableState(`systemctl show printed nothing np can read for ${u}.service`);
  const users = new Map<string, string[]>();
  for (const line of sections.get("users") ?? []) {
    const [name, exists, groups] = line.split("|");
    if (name && exists === "yes") users.set(name, (groups ?? "").split(",").filter(Boolean));
  }
  return {
    paths,
    units: unitStates,
    users,
    pendingRestarts: new Set((sections.get("pending") ?? []).map((l) => l.trim()).filter(Boolean)),
  };
}
