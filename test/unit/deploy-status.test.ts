import { describe, expect, it } from "vitest";
import type { JobRead } from "../../src/api/nomad.js";
import type { AllocationListStub } from "../../src/app/nomad-responses.js";
import { durationMs, wholeNumber } from "../../src/cli/commands/app-args.js";
import { logTask, shownAllocations } from "../../src/deploy/logs.js";
import { logSearchBody } from "../../src/deploy/openobserve-search.js";
import { appDetail } from "../../src/deploy/status-app.js";
import { appRow, appTable } from "../../src/deploy/status-apps.js";

const job = (over: Partial<JobRead> = {}): JobRead => ({
  ID: "web",
  Version: 3,
  Stable: true,
  Stop: false,
  Status: "running",
  SubmitTime: 1_757_502_000_000_000_000,
  JobModifyIndex: 61,
  Meta: { np_version: "0.1.0", np_spec_sha256: "ab".repeat(32) },
  TaskGroups: [
    {
      Name: "web",
      Count: 3,
      Services: [
        {
          Name: "web",
          Tags: [
            "np.app=web",
            "traefik.enable=true",
            "traefik.http.routers.web.rule=Host(`web.example.com`)",
            "traefik.http.routers.web.entrypoints=web",
          ],
          Checks: [{ Path: "/healthz" }],
        },
      ],
      Tasks: [{ Name: "web", Driver: "exec", Env: { DATABASE_URL: "postgres://secret" } }],
    },
  ],
  ...over,
});
const alloc = (
  id: string,
  status: string,
  healthy: boolean | null,
  desired = "run",
  createIndex = 1,
): AllocationListStub => ({
  ID: `${id}-1111-2222-3333-444444444444`,
  Name: "web.web[0]",
  NodeName: "node4",
  JobVersion: 3,
  TaskGroup: "web",
  DesiredStatus: desired,
  ClientStatus: status,
  TaskStates: {
    web: {
      State: "running",
      Failed: false,
      Restarts: 1,
      Events: [
        {
          Type: "Started",
          Time: 1_757_502_000_000_000_000 + createIndex * 1e9,
          DisplayMessage: "Task started by client",
        },
      ],
    },
  },
  DeploymentStatus: healthy === null ? null : { Healthy: healthy },
  CreateIndex: createIndex,
});

describe("np status: the apps", () => {
  it("counts desired, running and healthy instances and reads the URL back from the Traefik tags", () => {
    const row = appRow(
      job(),
      [
        alloc("aaaaaaaa", "running", true),
        alloc("bbbbbbbb", "running", null),
        alloc("cccccccc", "running", true, "stop"),
        alloc("dddddddd", "failed", false),
      ],
      {
        ID: "d1",
        JobID: "web",
        JobVersion: 3,
        Status: "running",
        StatusDescription: "Deployment is running",
      },
    );
    expect(row).toEqual({
      name: "web",
      version: 3,
      status: "running",
      stopped: false,
      desired: 3,
      running: 2,
      healthy: 1,
      deployment: { version: 3, status: "running", description: "Deployment is running" },
      url: "http://web.example.com/",
    });
    expect(appTable([row])).toEqual([
      ["APP", "VERSION", "DESIRED", "RUNNING", "HEALTHY", "DEPLOYMENT", "URL"],
      ["web", "3", "3", "2", "1", "running (v3)", "http://web.example.com/"],
    ]);
    expect(appTable([{ ...row, stopped: true, deployment: null, url: null }])[1]).toEqual([
      "web",
      "3",
      "stopped",
      "2",
      "1",
      "-",
      "-",
    ]);
  });

  it("one app: instances newest first, events oldest first, versions newest first; never an env value", () => {
    const d = appDetail(
      job(),
      [alloc("aaaaaaaa", "running", true, "run", 5), alloc("bbbbbbbb", "complete", false, "stop", 2)],
      null,
      [job({ Version: 2, Stable: false }), job()],
    );
    expect(d.instances.map((i) => [i.id.slice(0, 8), i.state, i.desired, i.health, i.restarts])).toEqual([
      ["aaaaaaaa", "running", "run", "healthy", 1],
      ["bbbbbbbb", "complete", "stop", "unhealthy", 1],
    ]);
    expect(d.events.map((e) => e.alloc)).toEqual(["bbbbbbbb", "aaaaaaaa"]);
    expect(d.events[0]?.event).toBe("Started: Task started by client");
    expect(d.versions.map((v) => [v.version, v.stable, v.current])).toEqual([
      [3, true, true],
      [2, false, false],
    ]);
    expect(d.deployment).toBeNull();
    expect(JSON.stringify(d)).not.toMatch(/secret|DATABASE_URL|Env/);
  });
});

describe("np logs: task, instances, the OpenObserve query", () => {
  it("uses the app's only task, or --task; names the tasks otherwise", () => {
    expect(logTask(job(), undefined)).toBe("web");
    expect(() => logTask(job(), "db")).toThrow(/web has no task "db"/);
    const two = job({
      TaskGroups: [
        {
          ...job().TaskGroups[0],
          Tasks: [
            { Name: "a", Driver: "exec" },
            { Name: "b", Driver: "exec" },
          ],
        } as JobRead["TaskGroups"][0],
      ],
    });
    expect(() => logTask(two, undefined)).toThrow(/web has 2 tasks: say which/);
  });

  it("shows the instances Nomad wants running and that started, oldest first", () => {
    const list = [
      alloc("cccccccc", "running", true, "run", 9),
      alloc("aaaaaaaa", "running", true, "run", 3),
      alloc("bbbbbbbb", "pending", null, "run", 5),
      alloc("dddddddd", "complete", true, "stop", 1),
    ];
    expect(shownAllocations(list).map((a) => a.ID.slice(0, 8))).toEqual(["aaaaaaaa", "cccccccc"]);
  });

  it("queries nomad_logs for the job, stream and task over the window, newest first, quoting values", () => {
    expect(
      logSearchBody({ job: "o'hara", task: "web", stream: "stderr", startUs: 1, endUs: 2, limit: 50 }),
    ).toEqual({
      query: {
        sql: "SELECT * FROM \"nomad_logs\" WHERE job = 'o''hara' AND stream = 'stderr' AND task = 'web' ORDER BY _timestamp DESC LIMIT 50",
        start_time: 1,
        end_time: 2,
        from: 0,
        size: 50,
      },
    });
  });

  it("reads --since and counts, refusing anything else", () => {
    expect([durationMs("15m"), durationMs("1h30m"), durationMs("2d"), durationMs("500ms")]).toEqual([
      900_000, 5_400_000, 172_800_000, 500,
    ]);
    expect(() => durationMs("15")).toThrow(/expected a duration/);
    expect(() => durationMs("-1m")).toThrow(/expected a duration/);
    const count = wholeNumber(0, 10, "a count");
    expect(count("7")).toBe(7);
    expect(() => count("11")).toThrow(/from 0 to 10/);
    expect(() => count("1.5")).toThrow(/whole number/);
  });
});
