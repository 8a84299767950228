import { describe, expect, it } from "vitest";
import { ChangeGate } from "../../src/cluster/changes.js";
import { EarlyReads } from "../../src/cluster/early-reads.js";

// An answer read beside the gathering stands in for a phase's own read only while the run changed nothing.
const change = {
  host: "node1",
  kind: "file" as const,
  target: "/etc/consul.d/consul.hcl",
  detail: "content",
};

describe("early reads", () => {
  it("a phase takes the early answer while nothing changed, once", async () => {
    const early = new EarlyReads(new ChangeGate(false));
    let reads = 0;
    early.start("nomad management", async () => true);
    const fresh = async () => {
      reads++;
      return false;
    };
    expect(await early.take("nomad management", fresh)).toBe(true);
    expect(reads).toBe(0);
    // Taken: the next asker reads for itself.
    expect(await early.take("nomad management", fresh)).toBe(false);
    expect(reads).toBe(1);
  });

  it("after a change (or a dry run's would-be change) every phase reads afresh", async () => {
    for (const dryRun of [false, true]) {
      const gate = new ChangeGate(dryRun);
      const early = new EarlyReads(gate);
      early.start("nomad management", async () => true);
      await gate.wet(change, async () => {});
      expect(await early.take("nomad management", async () => false)).toBe(false);
    }
  });

  it("an answer that arrives across a change is not used", async () => {
    const gate = new ChangeGate(false);
    const early = new EarlyReads(gate);
    let answer: (v: boolean) => void = () => {};
    early.start("nomad management", () => new Promise<boolean>((r) => (answer = r)));
    const taking = early.take("nomad management", async () => false);
    await gate.wet(change, async () => {});
    answer(true);
    expect(await taking).toBe(false);
  });

  it("an early read that failed is never reported: the phase reads again", async () => {
    const early = new EarlyReads(new ChangeGate(false));
    early.start("nomad management", async () => {
      throw new Error("Nomad did not answer");
    });
    expect(await early.take("nomad management", async () => true)).toBe(true);
  });

  it("a key never started is read afresh", async () => {
    const early = new EarlyReads(new ChangeGate(false));
    expect(await early.take("consul acl", async () => ({ policies: [], tokens: [] }))).toEqual({
      policies: [],
      tokens: [],
    });
  });

  it("a poll's first reading is the early one, its later readings are its own", async () => {
    const early = new EarlyReads(new ChangeGate(false));
    const reading = (leader: string) => ({
      service: "consul" as const,
      leader,
      healthy: true,
      failureTolerance: 1,
      voters: 3,
      servers: [],
    });
    early.start("consul quorum", async () => reading("early"));
    const read = early.firstFrom("consul quorum", async () => reading("fresh"));
    expect((await read()).leader).toBe("early");
    expect((await read()).leader).toBe("fresh");
  });
});
