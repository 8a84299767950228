import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { summarizeDeployment } from "../../src/app/index.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../fixtures/app", name), "utf8"));

describe("summarizeDeployment", () => {
  it("a successful deployment: done, ok, a line per instance", () => {
    expect(
      summarizeDeployment(fixture("deployment.successful.json"), fixture("job-allocations.response.json")),
    ).toEqual({
      done: true,
      ok: true,
      verdict: "deployed version 1: 2 of 2 instances healthy",
      instances: [
        {
          id: "5fc98185-17ff-26bc-a802-0c74fa471c99",
          node: "nomad-client-1",
          line: "5fc98185 on nomad-client-1: running, healthy",
          failed: false,
          events: ["Received: Task received by client", "Started: Task started by client"],
        },
      ],
    });
  });

  it("a failed deployment Nomad auto-reverts: the version it rolls back to and why the instance failed", () => {
    const s = summarizeDeployment(
      fixture("deployment.failed-reverted.json"),
      fixture("allocations.failed-reverted.json"),
    );
    expect(s.done).toBe(true);
    expect(s.ok).toBe(false);
    expect(s.revertedTo).toBe(2);
    expect(s.verdict).toBe(
      "deployment of version 3 failed: Failed due to unhealthy allocations; Nomad is rolling back to version 2",
    );
    // Only the instances of the deployed version: the old one on node5 belongs to version 2.
    expect(s.instances).toEqual([
      {
        id: "8a2f4c1e-93b7-4d6a-b0e5-7c1d2e3f4a5b",
        node: "node4",
        line: '8a2f4c1e on node4: failed (Exit Code: 1, Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"); 2 restarts',
        failed: true,
        events: [
          "Terminated: Exit Code: 1",
          'Not Restarting: Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"',
          "Alloc Unhealthy: Unhealthy because of failed task",
        ],
      },
    ]);
  });

  it("recognises the other auto-revert outcomes and failure reasons", () => {
    const failed = (description: string) =>
      summarizeDeployment(
        { ...fixture("deployment.failed-reverted.json"), StatusDescription: description },
        [],
      );
    expect(failed("Failed due to progress deadline - rolling back to job version 7")).toMatchObject({
      revertedTo: 7,
      verdict:
        "deployment of version 3 failed: Failed due to progress deadline; Nomad is rolling back to version 7",
    });
    const noop = failed(
      "Failed due to unhealthy allocations - not rolling back to stable job version 2 as current job has same specification",
    );
    expect(noop.revertedTo).toBeUndefined();
    expect(noop.verdict).toBe(
      "deployment of version 3 failed: Failed due to unhealthy allocations; not rolled back: version 2 has the same specification",
    );
    expect(
      failed("Failed due to unhealthy allocations - no stable job version to auto revert to").verdict,
    ).toBe(
      "deployment of version 3 failed: Failed due to unhealthy allocations; no stable version to roll back to",
    );
    expect(failed("Deployment marked as failed").verdict).toBe(
      "deployment of version 3 failed: Deployment marked as failed",
    );
  });

  it("a running canary deployment waiting for promotion: not done, its canary with its restart", () => {
    const s = summarizeDeployment(
      fixture("deployment.running-canary.json"),
      fixture("allocations.running-canary.json"),
    );
    expect(s).toMatchObject({ done: false, ok: false });
    expect(s.verdict).toBe(
      "deploying version 4: 1 of 2 placed, 1 healthy (canaries: 1 of 1 placed, waiting to be promoted)",
    );
    expect(s.instances.map((i) => i.line)).toEqual([
      "d0ad0808 on node4: running, healthy; canary, 1 restart",
    ]);
  });

  it("instances still starting, health not decided, cancelled and paused deployments, no deployment", () => {
    const running = {
      ...fixture("deployment.running-canary.json"),
      StatusDescription: "Deployment is running",
    };
    running.TaskGroups.web = {
      DesiredCanaries: 0,
      DesiredTotal: 2,
      PlacedAllocs: 2,
      HealthyAllocs: 0,
      UnhealthyAllocs: 1,
    };
    const allocations = fixture("allocations.running-canary.json").map((a: { JobVersion: number }) => ({
      ...a,
      JobVersion: 4,
    }));
    allocations[0].DeploymentStatus = null;
    allocations[1].ClientStatus = "pending";
    const s = summarizeDeployment(running, allocations);
    expect(s.verdict).toBe("deploying version 4: 2 of 2 placed, 0 healthy, 1 unhealthy");
    expect(s.instances.map((i) => i.line)).toEqual([
      "d0ad0808 on node4: running, health not decided yet; 1 restart",
      "38c70cd8 on node5: pending (Task started by client)",
    ]);
    const cancelled = {
      ...running,
      Status: "cancelled",
      StatusDescription: "Cancelled due to newer version of job",
    };
    expect(summarizeDeployment(cancelled, [])).toMatchObject({
      done: true,
      ok: false,
      verdict: "deployment of version 4 was cancelled: Cancelled due to newer version of job",
    });
    const paused = { ...running, Status: "paused", StatusDescription: "Deployment is paused" };
    expect(summarizeDeployment(paused, []).verdict).toBe(
      "deployment of version 4 is paused: Deployment is paused",
    );
    expect(summarizeDeployment(null, allocations)).toMatchObject({
      done: true,
      verdict: "no deployment for this job",
    });
  });
});
