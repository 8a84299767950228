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
  consulUser: boolean;
  /** Services whose restart an earlier, interrupted run left pending. */
  pendingRestarts: Set<string>;
}

/** Parses STATE_SCRIPT output (sections marked with the run's nonce). Modes are normalised to four octal digits. */
export function parseHostState(text: string, nonce: string): HostState {
  const sections = splitSections(text, nonce);
  if (!sections.has("done")) throw new Error("the state script did not finish");
  const paths = new Map<string, PathState>();
  for (const line of sections.get("paths") ?? []) {
    const [kind, mode, owner, group, sha, cached, ...rest] = line.split("|");
    const p = rest.join("|");
    const meta = { mode: (mode ?? "").padStart(4, "0"), owner, group };
    if (kind === "none") paths.set(p, { kind: "none" });
    else if (kind === "dir") paths.set(p, { kind, ...meta });
    else if (kind === "file") paths.set(p, { kind, ...meta, sha256: sha, shaCached: cached === "1" });
  }
  const units = new Map<string, UnitState>();
  for (const line of sections.get("units") ?? []) {
    const props = new Map(
      line
        .trim()
        .split(/\s+/)
        .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)] as const),
    );
    const id = props.get("Id");
    if (!id) continue;
    units.set(id.replace(/\.service$/, ""), {
      loaded: props.get("LoadState") === "loaded",
      active: props.get("ActiveState") ?? "unknown",
      mainPid: Number(props.get("MainPID") ?? 0),
      enabled: props.get("UnitFileState") === "enabled",
      needsDaemonReload: props.get("NeedDaemonReload") === "yes",
    });
  }
  return {
    paths,
    units,
    consulUser: (sections.get("users") ?? []).some((l) => l.startsWith("consul:")),
    pendingRestarts: new Set((sections.get("pending") ?? []).map((l) => l.trim()).filter(Boolean)),
  };
}
