import type { Problem } from "../yaml-config/problem.js";
import { displayName, type HostView } from "./raw-view.js";
import type { Role } from "./types.js";

const TOLERANCE = "servers → failures tolerated: 1 → 0, 3 → 1, 5 → 2";

/** Server count (3 or 5, or 1 with single_server), exactly one observe node, at least one edge and client. */
export function checkRoleCounts(hosts: HostView[], singleServer: unknown): Problem[] {
  // With a host's roles unreadable the counts are unknown; only a second observe node is certain.
  if (hosts.length === 0 || hosts.some((h) => !h.rolesValid)) return extraObservers(hosts);
  const withRole = (role: Role) => hosts.filter((h) => h.roles.some((r) => r.role === role));
  return [
    ...checkServers(withRole("server"), singleServer === true),
    ...checkObserve(hosts),
    ...(withRole("edge").length === 0
      ? [missing("edge", 'give at least one host the "edge" role (it runs Traefik, the ingress)')]
      : []),
    ...(withRole("client").length === 0
      ? [missing("client", 'give at least one host the "client" role (it runs the workloads)')]
      : []),
  ];
}

function checkServers(servers: HostView[], singleServer: boolean): Problem[] {
  const n = servers.length;
  const names = servers.length > 0 ? `; servers: ${servers.map(displayName).join(", ")}` : "";
  if (singleServer) {
    if (n === 1) return [];
    const fix =
      n === 0 ? 'give one host the "server" role' : "remove single_server for a cluster of 3 or 5 servers";
    return [
      {
        path: ["cluster", "single_server"],
        message: `true needs exactly 1 server, found ${n}: ${fix}${names}`,
      },
    ];
  }
  if (n === 3 || n === 5) return [];
  let message: string;
  if (n === 0) message = `no host has the server role: give 3 (or 5) hosts the "server" role (${TOLERANCE})`;
  else if (n === 1)
    message = `1 server tolerates no failure: use 3 or 5 servers, or set cluster.single_server: true for a development cluster (${TOLERANCE})${names}`;
  else if (n % 2 === 0)
    message = `${n} servers tolerate no more failures than ${n - 1}: use 3 or 5 servers (${TOLERANCE})${names}`;
  else
    message = `${n} servers: use 3 or 5 servers; more make every write wait for more acknowledgements (${TOLERANCE})${names}`;
  return [{ path: ["hosts"], atKey: true, message }];
}

function checkObserve(hosts: HostView[]): Problem[] {
  if (!hosts.some((h) => h.roles.some((r) => r.role === "observe")))
    return [missing("observe", 'give exactly one host the "observe" role (it runs OpenObserve)')];
  return extraObservers(hosts);
}

function extraObservers(hosts: HostView[]): Problem[] {
  const observers = hosts.flatMap((h) =>
    h.roles.filter((r) => r.role === "observe").map((r) => ({ host: h, ...r })),
  );
  const first = observers[0];
  if (!first) return [];
  const firstName = displayName(first.host);
  return observers.slice(1).map((o) => ({
    path: ["hosts", o.host.index, "roles", o.index],
    message: `"observe" is already on ${firstName}: exactly one host runs OpenObserve`,
  }));
}

function missing(role: Role, fix: string): Problem {
  return { path: ["hosts"], atKey: true, message: `no host has the ${role} role: ${fix}` };
}
