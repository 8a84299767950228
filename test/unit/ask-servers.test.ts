import { describe, expect, it } from "vitest";
import { askServersUntil, type ServerAnswer } from "../../src/cluster/ask-servers.js";
import { OperationError } from "../../src/errors.js";

class Final extends Error {}
const asked = { what: "the test's bootstrap", failed: "the test could not bootstrap", unit: "consul" };

describe("askServersUntil", () => {
  it("asks every server in turn, round after round, until one answers", async () => {
    const calls: string[] = [];
    let round = 0;
    const result = await askServersUntil(
      ["a", "b"],
      { ...asked, final: (e) => e instanceof Final },
      { timeoutMs: 5_000, intervalMs: 1 },
      async (s): Promise<ServerAnswer<string>> => {
        calls.push(s);
        if (s === "a") throw new Error("connection refused");
        round++;
        return round < 3 ? { notYet: "no leader yet" } : { done: `token from ${s}` };
      },
    );
    expect(result).toBe("token from b");
    expect(calls).toEqual(["a", "b", "a", "b", "a", "b"]);
  });

  it("throws an error asking again cannot cure at once, and stops when told to give up", async () => {
    let asks = 0;
    await expect(
      askServersUntil(
        ["a", "b"],
        { ...asked, final: (e) => e instanceof Final },
        { timeoutMs: 5_000 },
        () => {
          asks++;
          throw new Final("already bootstrapped");
        },
      ),
    ).rejects.toBeInstanceOf(Final);
    expect(asks).toBe(1);
    await expect(
      askServersUntil(
        ["a"],
        { ...asked, final: () => false },
        { timeoutMs: 5_000, giveUp: () => "node2's connection is gone" },
        async () => ({ notYet: "x" }),
      ),
    ).rejects.toThrow("the test's bootstrap stopped: node2's connection is gone");
  });

  it("ends in an OperationError with the last reason and the unit's journal to read", async () => {
    const waits: string[] = [];
    const err = await askServersUntil(
      ["a"],
      { ...asked, final: () => false },
      { timeoutMs: 50, intervalMs: 5, onWait: (why) => waits.push(why) },
      async () => ({ notYet: "Consul's ACLs are still in legacy mode" }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).message).toBe(
      "the test could not bootstrap within 0 s: Consul's ACLs are still in legacy mode",
    );
    expect((err as OperationError).hint).toContain("journalctl -u consul");
    // A word every 15 s only: none in 50 ms.
    expect(waits).toEqual([]);
  });
});
