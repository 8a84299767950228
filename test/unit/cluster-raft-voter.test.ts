import { describe, expect, it } from "vitest";
import { isRaftVoter } from "../../src/cluster/cluster-quorum.js";
import type { HostRun, RunContext } from "../../src/cluster/context.js";

/** A run over three servers whose APIs answer with `config` (or fail, for the hosts in `down`). */
function ctxWith(config: { Servers: { Address: string; Voter: boolean }[] }, down: string[] = []) {
  const asked: string[] = [];
  const hosts = ["node1", "node2", "node3"].map(
    (name, i) =>
      ({
        spec: { name, roles: ["server"], privateAddress: `10.0.0.${i + 1}` },
        conn: {},
      }) as unknown as HostRun,
  );
  const ctx = {
    hosts,
    tunnels: {
      for: (_service: string, _conn: unknown, address: string) => ({
        raftConfiguration: async () => {
          asked.push(address);
          if (down.includes(address)) throw new Error(`${address} does not answer`);
          return { ...config, Index: 7 };
        },
      }),
    },
  } as unknown as RunContext;
  return { ctx, hosts, asked };
}

describe("isRaftVoter: the Raft configuration decides, not autopilot's picture", () => {
  const config = {
    Servers: [
      { Address: "10.0.0.1:8300", Voter: true },
      { Address: "10.0.0.2:8300", Voter: true },
      { Address: "10.0.0.3:8300", Voter: false },
    ],
  };

  it("a server listed as a voter is one; a non-voter or an absent server is not", async () => {
    const { ctx } = ctxWith(config);
    expect(await isRaftVoter(ctx, "consul", "10.0.0.2")).toBe(true);
    expect(await isRaftVoter(ctx, "consul", "10.0.0.3")).toBe(false);
    expect(await isRaftVoter(ctx, "consul", "10.0.0.9")).toBe(false);
  });

  it("asks the host being restarted last, and the next server when one does not answer", async () => {
    const { ctx, hosts, asked } = ctxWith(config, ["10.0.0.2"]);
    expect(await isRaftVoter(ctx, "consul", "10.0.0.1", hosts[0])).toBe(true);
    expect(asked).toEqual(["10.0.0.2", "10.0.0.3"]);
  });

  it("fails when no server answers (never guessed)", async () => {
    const { ctx } = ctxWith(config, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    await expect(isRaftVoter(ctx, "nomad", "10.0.0.1")).rejects.toThrow(/10.0.0.3 does not answer/);
  });
});
