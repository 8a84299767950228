import path from "node:path";
import { type ConsulApi, type ConsulServiceHealth, consulMemberStatus } from "../api/consul.js";
import type { NomadApi } from "../api/nomad.js";
import { COMPONENTS, componentsOf } from "../components/index.js";
import { runsNomad } from "../components/nomad/index.js";
import { HostError } from "../errors.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import { Session } from "../remote/session.js";
import { ApiTunnels, consulAccessOf, nomadAccessOf } from "./apis.js";
import { type CertificateStatus, readCertificateStatus } from "./certificate-status.js";
import { type QuorumHealth, readQuorum, serverAt } from "./quorum.js";

/** A service a component registers in Consul, as its checks on one host say. */
export interface ServiceStatus {
  name: string;
  /** Consul's aggregated check status, or "missing" when the host has no instance. */
  status: "passing" | "warning" | "critical" | "missing";
  /** The output of a check that is not passing. */
  output: string;
}

/** One host as the cluster sees it. */
export interface NodeStatus {
  name: string;
  roles: string[];
  consul: { status: string; version: string } | null;
  nomad: { status: string; version: string } | null;
  /** The Consul services of its components (Traefik, OpenObserve, …) and their checks. */
  services: ServiceStatus[];
}

/** The service's instance on a host, judged by its checks (the worst wins, as Consul aggregates them). */
export function serviceOn(
  instances: readonly ConsulServiceHealth[],
  name: string,
  host: string,
): ServiceStatus {
  const mine = instances.find((i) => i.Node.Node === host);
  if (!mine) return { name, status: "missing", output: "" };
  const worst = ["critical", "warning"].find((s) => mine.Checks.some((c) => c.Status === s));
  const bad = mine.Checks.find((c) => c.Status === worst);
  return {
    name,
    status: (worst ?? "passing") as ServiceStatus["status"],
    output: bad ? checkOutputLine(bad.Output) : "",
  };
}

/**
 * A failing check's output on one line. Consul's HTTP check output is `HTTP GET <url>: <status> Output: <body>`;
 * a JSON body that lists `problems` (np-agent's /v1/health) is shown as those problems, since its first line alone
 * is `{`; any other output has its whitespace folded.
 */
export function checkOutputLine(output: string, max = 300): string {
  const at = output.indexOf(" Output: ");
  const body = at >= 0 ? output.slice(at + " Output: ".length) : "";
  let line = output.replace(/\s+/g, " ").trim();
  try {
    const problems = (JSON.parse(body) as { problems?: { id?: string; message?: string }[] }).problems;
    if (Array.isArray(problems) && problems.length > 0)
      line = `${output.slice(0, at)}: ${problems.map((p) => `${p.id}: ${p.message}`).join("; ")}`;
  } catch {
    // not JSON: the folded output it is
  }
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** What `np status` reports; `degraded` lists why the cluster is not healthy. */
export interface ClusterStatus {
  healthy: boolean;
  degraded: string[];
  consul: QuorumHealth | null;
  nomad: QuorumHealth | null;
  nodes: NodeStatus[];
  unreachable: string[];
  /** Every certificate on the hosts and in .np/secrets, with its end date. */
  certificates: CertificateStatus["certificates"];
  /** Certificates within 30 days of their end, or unreadable: said, without changing the verdict. */
  warnings: string[];
}

/** Reads Consul and Nomad health through SSH tunnels to the first server that answers. */
export async function readClusterStatus(inv: Inventory, signal: AbortSignal): Promise<ClusterStatus> {
  const servers = inv.hosts.filter((h) => h.roles.includes("server"));
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  const tunnels = new ApiTunnels(await consulAccessOf(inv), await nomadAccessOf(inv, "management"));
  const unreachable: string[] = [];
  try {
    // Read from what is installed on every host (and in .np/secrets), beside the cluster's own health.
    const certificates = readCertificateStatus(inv, session);
    certificates.catch(() => {});
    const reachable = await Promise.all(
      servers.map((h) =>
        session.connect(h).then(
          (conn) => ({ h, conn }),
          (err) => {
            unreachable.push(
              `${h.name}: ${err instanceof HostError ? err.message.replace(`${h.name}: `, "") : String(err)}`,
            );
            return null;
          },
        ),
      ),
    );
    const vias = reachable.filter((r): r is NonNullable<typeof r> => r !== null);
    let lastError = "no server reachable";
    const ask = async <T>(fn: (consul: ConsulApi, nomad: NomadApi) => Promise<T>): Promise<T | null> => {
      lastError = "no server reachable";
      for (const { h, conn } of vias) {
        try {
          return await tunnels.askConsul(conn, (c) =>
            tunnels.askNomad(conn, h.privateAddress, (n) => fn(c, n)),
          );
        } catch (err) {
          // This server's API is down (the server may be the one that failed): ask the next.
          lastError = (err as Error).message;
        }
      }
      return null;
    };
    const unreadable: string[] = [];
    const consul = await ask((c) => readQuorum("consul", c));
    if (!consul) unreadable.push(`cannot read Consul's health from any server: ${lastError}`);
    // The rest in parallel: each asks the servers in turn, like the reading above.
    const serviceNames = [...new Set(COMPONENTS.flatMap((c) => (c.service ? [c.service] : [])))];
    const [nomad, consulMembers, nomadNodes, nomadMembers, ...instances] = await Promise.all([
      ask((_, n) => readQuorum("nomad", n)),
      ask((c) => c.members()).then((x) => x ?? []),
      ask((_, n) => n.nodes()).then((x) => x ?? []),
      ask((_, n) => n.members()).then((x) => x ?? []),
      ...serviceNames.map((s) => ask((c) => c.serviceHealth(s)).then((x) => x ?? [])),
    ]);
    if (!nomad) unreadable.push("cannot read Nomad's health from any server");
    const health = new Map(serviceNames.map((s, i) => [s, instances[i] ?? []]));
    const nodes: NodeStatus[] = inv.hosts.map((h) => {
      const cm = consulMembers.find((m) => m.Name === h.name);
      const nm = nomadMembers.find((m) => m.Name.split(".")[0] === h.name);
      const nn = nomadNodes.find((n) => n.Name === h.name);
      return {
        name: h.name,
        roles: h.roles,
        consul: cm
          ? { status: consulMemberStatus(cm.Status), version: (cm.Tags.build ?? "").split(":")[0] ?? "" }
          : null,
        // A client's state is its node's; a server-only host has no node, only a server member.
        nomad: !runsNomad(h)
          ? null
          : h.roles.includes("client")
            ? nn
              ? { status: nn.Status, version: nn.Version }
              : null
            : nm
              ? { status: nm.Status, version: nm.Tags.build ?? "" }
              : null,
        services: componentsOf(h).flatMap((c) =>
          c.service ? [serviceOn(health.get(c.service) ?? [], c.service, h.name)] : [],
        ),
      };
    });
    const certs = await certificates;
    const degraded = [
      ...unreadable,
      ...judge(inv.hosts, consul, nomad, nodes, unreachable),
      ...certs.expired,
    ];
    return {
      healthy: degraded.length === 0,
      degraded,
      consul,
      nomad,
      nodes,
      unreachable,
      certificates: certs.certificates,
      warnings: certs.warnings,
    };
  } finally {
    await tunnels.close();
    await session.close();
  }
}

/**
 * Why the cluster is not healthy, compared with the inventory: every host must be an alive Consul member, every
 * Nomad host an alive member or ready client, and every server a voter of both quorums. A missing member counts:
 * a judgement that looked only at the members present would call a cluster with a server that never joined healthy.
 */
export function judge(
  hosts: readonly HostSpec[],
  consul: QuorumHealth | null,
  nomad: QuorumHealth | null,
  nodes: readonly NodeStatus[],
  unreachable: readonly string[],
): string[] {
  const servers = hosts.filter((h) => h.roles.includes("server"));
  const why: string[] = unreachable.map((u) => `server unreachable over SSH: ${u}`);
  for (const [name, q] of [
    ["consul", consul],
    ["nomad", nomad],
  ] as const) {
    if (!q) continue;
    if (q.leader === "") why.push(`${name} has no leader`);
    if (!q.healthy) why.push(`${name} autopilot reports the servers unhealthy`);
    if (servers.length >= 3 && q.failureTolerance === 0)
      why.push(`${name} failure tolerance is 0: one more lost server loses quorum`);
    for (const s of q.servers) if (s.status !== "alive") why.push(`${name} server ${s.name} is ${s.status}`);
    for (const h of servers) {
      const s = serverAt(q, h.privateAddress);
      if (!s) why.push(`${h.name}: not a ${name} Raft server (it never joined, or was removed)`);
      else if (!s.voter) why.push(`${h.name}: a ${name} Raft server but not a voter`);
    }
  }
  for (const n of nodes) {
    if (!n.consul) why.push(`${n.name}: not a Consul member`);
    else if (n.consul.status !== "alive") why.push(`${n.name}: consul member ${n.consul.status}`);
    if (n.nomad && !["ready", "alive"].includes(n.nomad.status))
      why.push(`${n.name}: nomad ${n.nomad.status}`);
    for (const s of n.services) {
      if (s.status === "missing")
        why.push(`${n.name}: ${s.name} is not registered in Consul (is it running?)`);
      else if (s.status !== "passing")
        why.push(`${n.name}: ${s.name} is ${s.status}${s.output ? `: ${s.output}` : ""}`);
    }
  }
  for (const h of hosts) {
    const n = nodes.find((x) => x.name === h.name);
    if (runsNomad(h) && n && !n.nomad)
      why.push(`${h.name}: not a Nomad ${h.roles.includes("client") ? "client" : "member"}`);
  }
  return [...new Set(why)];
}
