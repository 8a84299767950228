// The e2e/contract quorum sampler: a run below a majority lasting minLossMs or more is a loss of quorum; a shorter
// dip (autopilot's 200 ms last-contact threshold on a loaded machine) is kept apart, not counted as one.
import { describe, expect, it } from "vitest";
import { type QuorumReading, QuorumSampler } from "../helpers/quorum-sampler.js";

const reading = (healthy: number): QuorumReading => ({
  leader: "s1",
  servers: ["s1", "s2", "s3"].map((name, i) => ({
    name,
    leader: i === 0,
    voter: true,
    healthy: i < healthy,
  })),
});

async function sample(healthyAt: (ms: number) => number, forMs: number, minLossMs: number) {
  const started = Date.now();
  const sampler = new QuorumSampler(
    async () => reading(healthyAt(Date.now() - started)),
    () => "step",
    2,
    20,
    minLossMs,
  );
  sampler.start();
  await new Promise((r) => setTimeout(r, forMs));
  await sampler.stop();
  return sampler;
}

describe("QuorumSampler", () => {
  it("counts a run below a majority that lasts minLossMs as a loss of quorum", async () => {
    const s = await sample((ms) => (ms > 100 && ms < 500 ? 1 : 3), 700, 200);
    expect(s.noMajority.length).toBeGreaterThan(5);
    expect(s.noMajority[0]).toMatch(/^step: .* 1 healthy voters$/);
    expect(s.briefDips).toEqual([]);
  });

  it("keeps a shorter dip apart", async () => {
    const s = await sample((ms) => (ms > 100 && ms < 160 ? 1 : 3), 400, 200);
    expect(s.noMajority).toEqual([]);
    expect(s.briefDips).toHaveLength(1);
  });

  it("judges a run still open when it stops", async () => {
    const s = await sample((ms) => (ms > 100 ? 1 : 3), 500, 200);
    expect(s.noMajority.length).toBeGreaterThan(5);
  });
});
