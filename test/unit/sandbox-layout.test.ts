import { describe, expect, it } from "vitest";
import { minimumFor } from "../../src/preflight/minimums.js";
import { layoutComment, MAX_NODES, NODE_CPUS, roleLayout } from "../../src/sandbox/layout.js";

describe("sandbox role layout", () => {
  it("lays out 3 nodes as servers that also carry the client, edge and observe roles", () => {
    expect(roleLayout(3)).toEqual([
      { name: "node1", roles: ["server", "client", "edge"] },
      { name: "node2", roles: ["server", "client"] },
      { name: "node3", roles: ["server", "observe"] },
    ]);
  });

  it("lays out 4 nodes with observe on a server and one client edge node", () => {
    expect(roleLayout(4)).toEqual([
      { name: "node1", roles: ["server"] },
      { name: "node2", roles: ["server"] },
      { name: "node3", roles: ["server", "observe"] },
      { name: "node4", roles: ["client", "edge"] },
    ]);
  });

  it("lays out 5 nodes as 3 servers, an edge client and an observe client (the default)", () => {
    expect(roleLayout(5)).toEqual([
      { name: "node1", roles: ["server"] },
      { name: "node2", roles: ["server"] },
      { name: "node3", roles: ["server"] },
      { name: "node4", roles: ["client", "edge"] },
      { name: "node5", roles: ["client", "observe"] },
    ]);
    expect(roleLayout(7).slice(5)).toEqual([
      { name: "node6", roles: ["client"] },
      { name: "node7", roles: ["client"] },
    ]);
  });

  it("fits every node of every allowed size within the 2 CPUs a sandbox node reports", () => {
    for (let n = 3; n <= MAX_NODES; n++) {
      const layout = roleLayout(n);
      for (const node of layout)
        expect(minimumFor(node.roles).cpu, `${n} nodes: ${node.name}`).toBeLessThanOrEqual(NODE_CPUS);
      const all = layout.flatMap((node) => node.roles);
      expect(all.filter((r) => r === "server")).toHaveLength(3);
      expect(all.filter((r) => r === "observe")).toHaveLength(1);
      expect(all.filter((r) => r === "edge")).toHaveLength(1);
      expect(all).toContain("client");
    }
  });

  it("refuses fewer than 3 or more than 20 nodes with exit 2", () => {
    for (const n of [0, 1, 2, 21, 2.5]) {
      expect(() => roleLayout(n)).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });

  it("documents each node's roles and minimum in the header lines", () => {
    expect(layoutComment(roleLayout(3))).toEqual([
      "  node1  server, client, edge   needs 1.5 CPU, 576 MB",
      "  node2  server, client         needs 1.25 CPU, 512 MB",
      "  node3  server, observe        needs 1.75 CPU, 640 MB",
    ]);
  });
});
