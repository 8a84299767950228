import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { JobRead } from "../../src/api/nomad.js";
import type { AllocationListStub } from "../../src/app/nomad-responses.js";
import { appUrl, routeFromTags } from "../../src/deploy/app-url.js";
import { type DeploymentWithIndex, deploymentForChange, rolloutStep } from "../../src/deploy/follow-state.js";
import { previousStableVersion } from "../../src/deploy/rollback.js";

const fixture = <T>(f: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/app/${f}`, import.meta.url), "utf8"));
const failed = fixture<DeploymentWithIndex>("deployment.failed-reverted.json");
const failedAllocs = fixture<AllocationListStub[]>("allocations.failed-reverted.json");
const healthy = (id: string, version: number, h: boolean | null = true): AllocationListStub => ({
  ID: `${id}-0000-0000-0000-000000000000`,
  Name: "web.web[0]",
  NodeName: "node4",
  JobVersion: version,
  TaskGroup: "web",
  DesiredStatus: "run",
  ClientStatus: "running",
  TaskStates: { web: { State: "running", Failed: false, Restarts: 0, Events: [] } },
  DeploymentStatus: h === null ? null : { Healthy: h },
  CreateIndex: 80,
});
const deployment = (
  id: string,
  version: number,
  status: string,
  description: string,
  healthyAllocs: number,
) =>
  ({
    ID: id,
    JobID: "web",
    JobVersion: version,
    JobModifyIndex: 100 + version,
    CreateIndex: 100 + version,
    Status: status,
    StatusDescription: description,
    TaskGroups: {
      web: { DesiredTotal: 2, PlacedAllocs: 2, HealthyAllocs: healthyAllocs, UnhealthyAllocs: 0 },
    },
  }) as DeploymentWithIndex;

describe("rolloutStep (following a deployment and Nomad's auto-revert)", () => {
  const target = { deploymentId: failed.ID, jobModifyIndex: 61 };

  it("waits until the evaluation's deployment is listed", () => {
    const v = rolloutStep(target, [], []);
    expect(v).toEqual({ title: "waiting for Nomad's deployment", lines: [] });
  });

  it("a change that needed no deployment ends at once, successfully", () => {
    const v = rolloutStep({ deploymentId: "", jobModifyIndex: 5 }, [], [healthy("aaaaaaaa", 1)]);
    expect(v.outcome?.ok).toBe(true);
    expect(v.outcome?.deployment).toBeNull();
  });

  it("follows a running deployment: its verdict and a line per instance of its version", () => {
    const running = deployment("d1", 4, "running", "Deployment is running", 1);
    const v = rolloutStep(
      { deploymentId: "d1", jobModifyIndex: 104 },
      [running],
      [healthy("aaaaaaaa", 4), healthy("bbbbbbbb", 4, null), healthy("cccccccc", 3)],
    );
    expect(v.outcome).toBeUndefined();
    expect(v.title).toBe("deploying version 4: 2 of 2 placed, 1 healthy");
    expect(v.lines).toEqual([
      "aaaaaaaa on node4: running, healthy",
      "bbbbbbbb on node4: running, health not decided yet",
    ]);
  });

  it("ends successfully when the deployment is successful", () => {
    const ok = deployment("d1", 4, "successful", "Deployment completed successfully", 2);
    const v = rolloutStep(
      { deploymentId: "d1", jobModifyIndex: 104 },
      [ok],
      [healthy("aaaaaaaa", 4), healthy("bbbbbbbb", 4)],
    );
    expect(v.outcome).toMatchObject({ ok: true, deployment: { ID: "d1" } });
    expect(v.title).toBe("deployed version 4: 2 of 2 instances healthy");
  });

  it("after a failure with auto-revert, waits for the rollback's deployment, then follows it to its end", () => {
    const waiting = rolloutStep(target, [failed], failedAllocs);
    expect(waiting.outcome).toBeUndefined();
    expect(waiting.title).toMatch(
      /^deployment of version 3 failed: Failed due to unhealthy allocations; Nomad is rolling back to version 2: waiting for the rollback's deployment$/,
    );
    const reverting = deployment("d2", 4, "running", "Deployment is running", 1);
    const allocs = [...failedAllocs, healthy("dddddddd", 4), healthy("eeeeeeee", 4, null)];
    const following = rolloutStep(target, [reverting, failed], allocs);
    expect(following.outcome).toBeUndefined();
    expect(following.title).toBe(
      "rolling back to version 2 (as version 4): deploying version 4: 2 of 2 placed, 1 healthy",
    );
    expect(following.lines).toEqual([
      "dddddddd on node4: running, healthy",
      "eeeeeeee on node4: running, health not decided yet",
    ]);
    const done = deployment("d2", 4, "successful", "Deployment completed successfully", 2);
    const end = rolloutStep(
      target,
      [done, failed],
      [...failedAllocs, healthy("dddddddd", 4), healthy("eeeeeeee", 4)],
    );
    expect(end.outcome).toMatchObject({
      ok: false,
      revert: { toVersion: 2, deployment: { ID: "d2" }, summary: { ok: true } },
    });
    expect(end.outcome?.summary.instances.filter((i) => i.failed).map((i) => i.id.slice(0, 8))).toEqual([
      "8a2f4c1e",
    ]);
    expect(end.title).toBe(
      "rolled back to version 2 (as version 4): deployed version 4: 2 of 2 instances healthy",
    );
  });

  it("a failure without auto-revert (or a cancelled deployment) ends at once, failed", () => {
    const noRevert = { ...failed, StatusDescription: "Failed due to progress deadline" };
    expect(rolloutStep(target, [noRevert], failedAllocs).outcome).toMatchObject({ ok: false });
    const cancelled = {
      ...failed,
      Status: "cancelled",
      StatusDescription: "Cancelled due to newer version of job",
    };
    const v = rolloutStep(target, [cancelled], failedAllocs);
    expect(v.outcome?.ok).toBe(false);
    expect(v.title).toMatch(/was cancelled: Cancelled due to newer version of job/);
  });

  it("finds the deployment of a change by its JobModifyIndex when the evaluation names none", () => {
    const ds = [deployment("a", 1, "successful", "", 2), deployment("b", 2, "running", "", 0)];
    expect(deploymentForChange(102, ds)?.ID).toBe("b");
    expect(deploymentForChange(7, ds)).toBeUndefined();
  });
});

describe("the app's URL from the Traefik tags np writes", () => {
  const tags = (entry: string, rule = "Host(`web.example.com`) || Host(`www.example.com`)") => [
    "np.app=web",
    "traefik.enable=true",
    `traefik.http.routers.web.rule=${rule}`,
    `traefik.http.routers.web.entrypoints=${entry}`,
  ];
  it("reads the host names and the scheme (websecure: HTTPS)", () => {
    expect(routeFromTags("web", tags("web"))).toEqual({
      hosts: ["web.example.com", "www.example.com"],
      https: false,
    });
    expect(routeFromTags("web", tags("websecure"))?.https).toBe(true);
    expect(appUrl({ hosts: ["web.example.com"], https: true })).toBe("https://web.example.com/");
    expect(appUrl({ hosts: ["a.test"], https: false }, "healthz")).toBe("http://a.test/healthz");
  });
  it("is null when Traefik does not route the app (no traefik.enable, or no Host rule)", () => {
    expect(routeFromTags("web", ["np.app=web"])).toBeNull();
    expect(routeFromTags("web", null)).toBeNull();
    expect(routeFromTags("web", tags("web", "PathPrefix(`/`)"))).toBeNull();
    expect(routeFromTags("other", tags("web"))).toBeNull();
  });
});

describe("previousStableVersion (np rollback without VERSION)", () => {
  const v = (version: number, stable: boolean, image: string) =>
    ({
      ID: "web",
      Version: version,
      Stable: stable,
      TaskGroups: [{ Name: "web", Count: 2, Tasks: [{ Name: image, Driver: "docker" }] }],
    }) as JobRead;
  it("the newest older stable version that runs something else than the current one", () => {
    // 3 failed and Nomad re-registered 2 as 4: going back means 1, not 2 (which runs what 4 runs).
    const versions = [v(4, true, "b"), v(3, false, "c"), v(2, true, "b"), v(1, true, "a"), v(0, true, "z")];
    expect(previousStableVersion(versions, 4)?.Version).toBe(1);
    expect(previousStableVersion([v(1, true, "a"), v(0, false, "z")], 1)).toBeUndefined();
    expect(previousStableVersion([v(2, true, "b"), v(1, true, "a")], 2)?.Version).toBe(1);
  });
});
