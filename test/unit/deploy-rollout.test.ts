import { describe, expect, it } from "vitest";
import type { Blocking, Indexed, NomadApi } from "../../src/api/nomad.js";
import type { AllocationListStub, Deployment } from "../../src/app/nomad-responses.js";
import { followRollout, PlacementFailed } from "../../src/deploy/rollout.js";
import { Interrupted } from "../../src/errors.js";
import { RecordingOutput } from "../contract/deploy-harness.js";

/** A scripted Nomad: each blocking read answers the next state once its index is passed, else waits. */
function scriptedNomad(
  states: { deployments: Deployment[]; allocs: AllocationListStub[] }[],
  evalStatus = "complete",
) {
  const calls: { what: string; index: number }[] = [];
  let at = 0;
  const advance = () => {
    at = Math.min(at + 1, states.length - 1);
  };
  const read =
    <T>(what: string, pick: (s: (typeof states)[number]) => T) =>
    (_id: string, block: Blocking = {}): Promise<Indexed<T>> => {
      calls.push({ what, index: block.index ?? 0 });
      const index = block.index ?? 0;
      // State i has index i + 1: a read at the current index waits for the next state (or the abort).
      if (index < at + 1)
        return Promise.resolve({ body: pick(states[at] as (typeof states)[number]), index: at + 1 });
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          advance();
          resolve({ body: pick(states[at] as (typeof states)[number]), index: at + 1 });
        }, 20);
        block.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new Error("aborted"));
        });
      });
    };
  const nomad = {
    evaluation: async () => ({
      body: {
        ID: "e1",
        JobID: "web",
        TriggeredBy: "job-register",
        Status: evalStatus,
        DeploymentID: "d1",
        FailedTGAllocs:
          evalStatus === "complete"
            ? null
            : { web: { NodesEvaluated: 2, NodesFiltered: 2, ConstraintFiltered: { "missing drivers": 2 } } },
        CreateIndex: 1,
        ModifyIndex: 2,
      },
      index: 2,
    }),
    jobDeployments: read("deployments", (s) => s.deployments),
    jobAllocations: read("allocations", (s) => s.allocs),
  } as unknown as NomadApi;
  return { nomad, calls };
}

const dep = (status: string, healthy: number): Deployment => ({
  ID: "d1",
  JobID: "web",
  JobVersion: 1,
  Status: status,
  StatusDescription: status === "successful" ? "Deployment completed successfully" : "Deployment is running",
  TaskGroups: { web: { DesiredTotal: 1, PlacedAllocs: 1, HealthyAllocs: healthy } },
});
const alloc = (healthy: boolean | null): AllocationListStub => ({
  ID: "aaaaaaaa-0000-0000-0000-000000000000",
  Name: "web.web[0]",
  NodeName: "node4",
  JobVersion: 1,
  TaskGroup: "web",
  DesiredStatus: "run",
  ClientStatus: "running",
  DeploymentStatus: healthy === null ? null : { Healthy: healthy },
});
const started = { EvalID: "e1", EvalCreateIndex: 1, JobModifyIndex: 10 };

describe("followRollout: blocking queries until the deployment ends", () => {
  it("follows the deployment and the allocations to success, each read passing the index of the last answer", async () => {
    const { nomad, calls } = scriptedNomad([
      { deployments: [dep("running", 0)], allocs: [alloc(null)] },
      { deployments: [dep("running", 0)], allocs: [alloc(true)] },
      { deployments: [dep("successful", 1)], allocs: [alloc(true)] },
    ]);
    const out = new RecordingOutput();
    const outcome = await followRollout(nomad, "web", started, { out, signal: new AbortController().signal });
    expect(outcome.ok).toBe(true);
    expect(out.lines).toContain("web: deployed version 1: 1 of 1 instances healthy");
    expect(out.lines).toContain("  aaaaaaaa on node4: running, health not decided yet");
    for (const what of ["deployments", "allocations"]) {
      const indexes = calls.filter((c) => c.what === what).map((c) => c.index);
      expect(indexes[0]).toBe(0);
      // never the same index twice in a row (that would be polling), never going back
      for (let i = 1; i < indexes.length; i++) expect(indexes[i]).toBeGreaterThan(indexes[i - 1] ?? 0);
    }
  });

  it("Ctrl-C ends the follow at once with Interrupted", async () => {
    const { nomad } = scriptedNomad([{ deployments: [dep("running", 0)], allocs: [alloc(null)] }]);
    const ctl = new AbortController();
    const following = followRollout(nomad, "web", started, {
      out: new RecordingOutput(),
      signal: ctl.signal,
    });
    setTimeout(() => ctl.abort(), 100);
    await expect(following).rejects.toBeInstanceOf(Interrupted);
  });

  it("an evaluation with placement failures ends it before any deployment is read", async () => {
    const { nomad, calls } = scriptedNomad([{ deployments: [], allocs: [] }], "blocked-ish");
    const err = await followRollout(nomad, "web", started, {
      out: new RecordingOutput(),
      signal: new AbortController().signal,
      app: { driver: "docker", cpu: 100, memoryMb: 256 },
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PlacementFailed);
    expect((err as Error).message).toMatch(
      /group "web": 1 instance not placed: no client has a healthy docker driver \(2 nodes filtered\)/,
    );
    expect(calls).toEqual([]);
  });
});
