import type { NodeListStub } from "./nomad-responses.js";
import type { AppDriver } from "./types.js";

/** Which client nodes can run an app's task driver, checked before the job is registered. */
export interface DriverCheck {
  driver: AppDriver;
  /** Clients that are ready, eligible and report the driver detected and healthy. */
  ready: string[];
  /** Clients that could take work but lack the driver, with why. */
  lacking: { node: string; reason: string }[];
  /** At least one client can run the app. */
  ok: boolean;
  /** What to say: why the deploy stops (not ok), or which clients it will avoid; absent when all can run it. */
  message?: string;
  /** What to do about it. */
  hint?: string;
}

/** What to do when clients lack a driver: np installs none of them. */
const HINTS: Record<AppDriver, string> = {
  docker:
    "np does not install Docker yet: install Docker Engine on those clients (e.g. `apt-get install docker.io`); Nomad notices it within a minute",
  exec: "the exec driver needs Linux cgroups and Nomad running as root (np runs it as root): see `journalctl -u nomad` on those clients",
  raw_exec:
    'raw_exec is off unless the client\'s Nomad config enables it (plugin "raw_exec" { config { enabled = true } }); np does not enable it',
};

/**
 * Checks `GET /v1/nodes` for the clients that can run `driver`, as Nomad's scheduler does (a node's
 * Drivers[driver] detected and healthy, else its `driver.<name>` attribute), among the clients that are ready,
 * eligible, not draining and in one of `datacenters` (all when not given).
 */
export function checkDrivers(
  nodes: readonly NodeListStub[],
  driver: AppDriver,
  datacenters?: readonly string[],
): DriverCheck {
  const candidates = nodes.filter(
    (n) =>
      n.Status === "ready" &&
      n.SchedulingEligibility === "eligible" &&
      !n.Drain &&
      (datacenters === undefined || datacenters.includes(n.Datacenter)),
  );
  const ready: string[] = [];
  const lacking: DriverCheck["lacking"] = [];
  for (const node of candidates) {
    const why = driverProblem(node, driver);
    if (why === undefined) ready.push(node.Name);
    else lacking.push({ node: node.Name, reason: why });
  }
  const ok = ready.length > 0;
  const where = datacenters
    ? ` in datacenter${datacenters.length === 1 ? "" : "s"} ${datacenters.join(", ")}`
    : "";
  if (candidates.length === 0)
    return { driver, ready, lacking, ok, message: `no client node is ready and eligible${where}` };
  if (lacking.length === 0) return { driver, ready, lacking, ok };
  const list = lacking.map((l) => `${l.node} (${l.reason})`).join(", ");
  const message = ok
    ? `only ${ready.join(", ")} can run ${driver} tasks; ${list} cannot`
    : `no client can run ${driver} tasks${where}: ${list}`;
  return { driver, ready, lacking, ok, message, hint: HINTS[driver] };
}

/** Why `node` cannot run `driver` tasks, or undefined when it can (scheduler/feasible.go DriverChecker). */
function driverProblem(node: NodeListStub, driver: string): string | undefined {
  const info = node.Drivers?.[driver];
  if (node.Drivers && driver in node.Drivers) {
    if (!info) return "no driver information";
    if (!info.Detected) return `${driver} not detected`;
    if (!info.Healthy)
      return `${driver} unhealthy${info.HealthDescription ? `: ${info.HealthDescription}` : ""}`;
    return undefined;
  }
  const attribute = node.Attributes?.[`driver.${driver}`];
  // Go's strconv.ParseBool, as Nomad reads the attribute.
  return /^(1|t|true)$/i.test(attribute ?? "") ? undefined : `${driver} not detected`;
}
