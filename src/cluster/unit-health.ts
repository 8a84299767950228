import { HostError } from "../errors.js";
import { asRoot, shInline } from "../remote/command.js";
import type { HostRun } from "./context.js";

/** One reading of a unit: `systemctl show` ActiveState, SubState, NRestarts, Result. */
export interface UnitReading {
  active: string;
  sub: string;
  restarts: number;
  result: string;
}

export function parseUnitReading(text: string): UnitReading {
  const v = new Map(
    text
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );
  return {
    active: v.get("ActiveState") ?? "unknown",
    sub: v.get("SubState") ?? "unknown",
    restarts: Number(v.get("NRestarts") ?? 0) || 0,
    result: v.get("Result") ?? "",
  };
}

/** What a reading says: running steadily, still starting, or failed (crashed, or restarted by systemd). */
export function judgeUnit(r: UnitReading, restartsBefore: number): "running" | "starting" | "failed" {
  if (r.active === "failed" || r.sub === "auto-restart" || r.restarts > restartsBefore) return "failed";
  if (r.active === "active" && r.sub === "running") return "running";
  return "starting";
}

const READ_UNIT = ["systemctl", "show", "-p", "ActiveState,SubState,NRestarts,Result"];

/** The unit's current reading. */
export async function readUnit(host: HostRun, unit: string): Promise<UnitReading> {
  const r = await host.conn.run([...READ_UNIT, `${unit}.service`], { doing: `reading the state of ${unit}` });
  return parseUnitReading(r.stdout);
}

/** The last lines of the unit's journal, indented for an error message. */
export async function journalTail(host: HostRun, unit: string, lines = 15): Promise<string> {
  const r = await host.conn.exec(
    asRoot(
      ["journalctl", "-u", `${unit}.service`, "-n", String(lines), "--no-pager", "-o", "cat"],
      host.spec.ssh.user,
    ),
  );
  return r.stdout
    .trimEnd()
    .split("\n")
    .map((l) => `     ${l}`)
    .join("\n");
}

// systemctl returns once a Type=exec unit's process has been started (Type=notify: once it says it is ready); a
// process that dies at once (bad config) is only visible a moment later, so a unit must stay running this long.
const STEADY_MS = 1500;

/**
 * After a start or restart: waits until the unit is running and stays so for a moment; a unit that fails, or
 * that systemd restarts meanwhile, is reported with its journal tail (np would otherwise wait minutes for a join
 * that cannot happen).
 */
export async function waitUnitRunning(
  host: HostRun,
  unit: string,
  restartsBefore: number,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let runningSince: number | undefined;
  let last: UnitReading | undefined;
  while (Date.now() < end) {
    last = await readUnit(host, unit);
    const verdict = judgeUnit(last, restartsBefore);
    if (verdict === "failed") break;
    if (verdict === "running") {
      runningSince ??= Date.now();
      if (Date.now() - runningSince >= STEADY_MS) return;
    } else runningSince = undefined;
    await new Promise((r) => setTimeout(r, 300));
  }
  const state = last
    ? `${last.active} (${last.sub}${last.result && last.result !== "success" ? `, ${last.result}` : ""})`
    : "unknown";
  throw new HostError(
    host.spec.name,
    `${unit} is not running after its start: ${state}; its journal ends with:\n${await journalTail(host, unit)}`,
    `fix what the journal shows (\`journalctl -u ${unit}\` on ${host.spec.name}) and run \`np up\` again`,
  );
}

/**
 * Runs `systemctl <verb> unit` as root and returns systemd's restart counter right after it, in one round trip:
 * a later crash that systemd restarts raises it (a manual start resets it, so it is read after).
 */
export async function systemctl(
  host: HostRun,
  verb: "start" | "stop" | "restart",
  unit: string,
): Promise<number> {
  const r = await host.conn.run(
    asRoot(
      shInline('systemctl "$1" "$2.service" || exit $?; systemctl show -p NRestarts --value "$2.service"', [
        verb,
        unit,
      ]),
      host.spec.ssh.user,
    ),
    {
      timeoutMs: 120_000,
      doing: `${verb === "stop" ? "stopping" : verb === "start" ? "starting" : "restarting"} ${unit}`,
    },
  );
  return Number(r.stdout.trim()) || 0;
}
