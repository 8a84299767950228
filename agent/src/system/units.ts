import { runCommand } from "./run.js";

/** The state of one systemd unit, from `systemctl show`. */
export interface UnitState {
  name: string;
  loadState: string;
  activeState: string;
  subState: string;
  mainPid: number;
}

const PROPS = ["Id", "LoadState", "ActiveState", "SubState", "MainPID"];

/** A unit name as systemd knows it ("consul" is "consul.service"). */
export const unitName = (u: string) => (/\.[a-z]+$/.test(u) ? u : `${u}.service`);

/** The one systemctl command that reads every unit's state. */
export function systemctlShowArgv(units: string[]): string[] {
  return ["systemctl", "show", `--property=${PROPS.join(",")}`, "--", ...units.map(unitName)];
}

/**
 * Parses `systemctl show` output for several units: blocks of Key=Value lines separated by blank lines, matched to
 * the units by their Id (in the order given when an Id is missing). A unit systemd does not know still has a block
 * (LoadState=not-found).
 */
export function parseSystemctlShow(text: string, units: string[]): UnitState[] {
  const blocks = text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b !== "")
    .map((b) => {
      const kv = new Map<string, string>();
      for (const line of b.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
      }
      return kv;
    });
  return units.map((u, i) => {
    const kv = blocks.find((b) => b.get("Id") === unitName(u)) ?? blocks[i] ?? new Map<string, string>();
    return {
      name: u,
      loadState: kv.get("LoadState") ?? "unknown",
      activeState: kv.get("ActiveState") ?? "unknown",
      subState: kv.get("SubState") ?? "unknown",
      mainPid: Number(kv.get("MainPID") ?? 0) || 0,
    };
  });
}

/** True when a unit counts as up for the summary. */
export const unitIsUp = (u: UnitState) => u.activeState === "active";

/** Reads the state of every unit in one spawn of systemctl. */
export async function readUnits(units: string[]): Promise<UnitState[]> {
  if (units.length === 0) return [];
  const r = await runCommand(systemctlShowArgv(units));
  if (r.code !== 0) throw new Error(systemctlFailure(r.code, r.stderr));
  return parseSystemctlShow(r.stdout, units);
}

/**
 * Why `systemctl show` failed, with the fix when it is the usual one: as a user other than root, systemctl talks
 * to systemd over the D-Bus system bus, so a node without the dbus package (a minimal image) cannot answer.
 */
export function systemctlFailure(code: number | null, stderr: string): string {
  const why = stderr.trim().split("\n").slice(-1)[0]?.slice(0, 200) || "no output";
  const hint = /Failed to connect to bus/.test(stderr)
    ? " (unit states are read over the D-Bus system bus: install and start the dbus package)"
    : "";
  return `systemctl show exited ${code}: ${why}${hint}`;
}
