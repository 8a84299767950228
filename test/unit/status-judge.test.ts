import { describe, expect, it } from "vitest";
import type { QuorumHealth } from "../../src/cluster/quorum.js";
import { checkOutputLine, judge, type NodeStatus, serviceOn } from "../../src/cluster/status.js";
import { cluster } from "./render-fixtures.js";

const inv = cluster();
const servers = inv.hosts.filter((h) => h.roles.includes("server"));

/** A healthy quorum of the inventory's servers (all voters), optionally leaving some out. */
function quorum(service: "consul" | "nomad", without: string[] = []): QuorumHealth {
  const port = service === "consul" ? 8300 : 4647;
  const list = servers
    .filter((h) => !without.includes(h.name))
    .map((h) => ({
      name: h.name,
      address: `${h.privateAddress}:${port}`,
      status: "alive",
      healthy: true,
      voter: true,
      leader: false,
      version: "1",
      stableSince: 0,
    }));
  return {
    service,
    leader: list[0]?.address ?? "",
    healthy: true,
    failureTolerance: 1,
    voters: list.length,
    servers: list,
  };
}

/** Every host alive in Consul and (where Nomad runs) in Nomad. */
function nodes(): NodeStatus[] {
  return inv.hosts.map((h) => ({
    name: h.name,
    roles: h.roles,
    consul: { status: "alive", version: "1.8.7" },
    nomad:
      h.roles.includes("server") || h.roles.includes("client")
        ? { status: h.roles.includes("client") ? "ready" : "alive", version: "1.10.5" }
        : null,
    services: [],
  }));
}

describe("np status judges the cluster against the inventory", () => {
  it("a complete, healthy cluster is healthy", () => {
    expect(judge(inv.hosts, quorum("consul"), quorum("nomad"), nodes(), [])).toEqual([]);
  });

  it("a server that never joined is named, though every present member is healthy", () => {
    const why = judge(inv.hosts, quorum("consul", ["server-3"]), quorum("nomad"), nodes(), []);
    expect(why).toContain("server-3: not a consul Raft server (it never joined, or was removed)");
  });

  it("a server that is not a voter is named", () => {
    const q = quorum("nomad");
    const s = q.servers[1];
    if (s) s.voter = false;
    expect(judge(inv.hosts, quorum("consul"), q, nodes(), [])).toContain(
      `${s?.name}: a nomad Raft server but not a voter`,
    );
  });

  it("a host missing from Consul or Nomad is named", () => {
    const n = nodes().map((x) =>
      x.name === "edge-1" ? { ...x, consul: null } : x.name === "client-1" ? { ...x, nomad: null } : x,
    );
    const why = judge(inv.hosts, quorum("consul"), quorum("nomad"), n, []);
    expect(why).toContain("edge-1: not a Consul member");
    expect(why).toContain("client-1: not a Nomad client");
  });

  it("failure tolerance 0, no leader, a failed member and an unreachable server each degrade", () => {
    const q = { ...quorum("consul"), failureTolerance: 0, leader: "" };
    const n = nodes().map((x) =>
      x.name === "client-2" ? { ...x, consul: { status: "failed", version: "" } } : x,
    );
    const why = judge(inv.hosts, q, quorum("nomad"), n, ["server-1: unreachable"]);
    expect(why).toEqual(
      expect.arrayContaining([
        "server unreachable over SSH: server-1: unreachable",
        "consul has no leader",
        "consul failure tolerance is 0: one more lost server loses quorum",
        "client-2: consul member failed",
      ]),
    );
  });

  it("a component's Consul service that is missing or failing is named with its check output", () => {
    const n = nodes().map((x) =>
      x.name === "edge-1"
        ? { ...x, services: [{ name: "traefik", status: "critical" as const, output: "connection refused" }] }
        : x.name === "observe-1"
          ? { ...x, services: [{ name: "openobserve", status: "missing" as const, output: "" }] }
          : x,
    );
    const why = judge(inv.hosts, quorum("consul"), quorum("nomad"), n, []);
    expect(why).toContain("edge-1: traefik is critical: connection refused");
    expect(why).toContain("observe-1: openobserve is not registered in Consul (is it running?)");
  });

  it("serviceOn takes the worst check of the host's instance", () => {
    const inst = (node: string, statuses: string[]) => ({
      Node: { Node: node, Address: "" },
      Service: { ID: "traefik", Service: "traefik", Address: "", Port: 80, Tags: [] },
      Checks: statuses.map((Status, i) => ({
        CheckID: `c${i}`,
        Name: `c${i}`,
        Status,
        Output: `out ${Status}`,
      })),
    });
    const all = [
      inst("edge-1", ["passing", "warning"]),
      inst("edge-2", ["passing", "critical"]),
      inst("e3", ["passing"]),
    ];
    expect(serviceOn(all, "traefik", "edge-1")).toEqual({
      name: "traefik",
      status: "warning",
      output: "out warning",
    });
    expect(serviceOn(all, "traefik", "edge-2")).toMatchObject({ status: "critical" });
    expect(serviceOn(all, "traefik", "e3")).toMatchObject({ status: "passing", output: "" });
    expect(serviceOn(all, "traefik", "nope")).toMatchObject({ status: "missing" });
  });

  it("a failing check's output is one line; np-agent's JSON health body shows its problems", () => {
    const agent = `HTTP GET http://10.0.0.4:9190/v1/health: 503 Service Unavailable Output: ${JSON.stringify(
      {
        status: "unhealthy",
        node: "node4",
        problems: [
          { id: "consul", level: "error", message: "Consul answered 403: ACL not found" },
          { id: "nomad", level: "error", message: "Nomad answered 403" },
        ],
      },
      null,
      2,
    )}`;
    expect(checkOutputLine(agent)).toBe(
      "HTTP GET http://10.0.0.4:9190/v1/health: 503 Service Unavailable: consul: Consul answered 403: ACL not found; nomad: Nomad answered 403",
    );
    expect(checkOutputLine("dial tcp 10.0.0.2:80:\n  connection refused\n")).toBe(
      "dial tcp 10.0.0.2:80: connection refused",
    );
    expect(checkOutputLine("x".repeat(400))).toHaveLength(300);
  });
});
