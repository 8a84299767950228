import { describe, expect, it } from "vitest";
import { ChangeGate } from "../../src/cluster/changes.js";
import type { HostRun } from "../../src/cluster/context.js";
import { majorityOf, parseHolder } from "../../src/cluster/lock.js";
import { actionFor } from "../../src/cluster/phases/start-services.js";
import { useraddArgv } from "../../src/cluster/phases/users-and-dirs.js";
import {
  hostOf,
  isQuorate,
  pollUntil,
  type QuorumHealth,
  serverAt,
  whyNotQuorate,
} from "../../src/cluster/quorum.js";
import { canSpare } from "../../src/cluster/quorum-restart.js";
import { judgeUnit, parseUnitReading } from "../../src/cluster/unit-health.js";
import { consul } from "../../src/components/consul/index.js";
import { nomad } from "../../src/components/nomad/index.js";
import { cluster, hostOf as hostNamed } from "./render-fixtures.js";

describe("ChangeGate", () => {
  it("records and applies a change on a real run, records without applying on a dry run", async () => {
    for (const dryRun of [false, true]) {
      const seen: string[] = [];
      const gate = new ChangeGate(dryRun, (c) => seen.push(c.target));
      let applied = 0;
      await gate.wet({ host: "h", kind: "file", target: "/etc/x", detail: "create" }, async () => {
        applied++;
      });
      expect(gate.changes).toHaveLength(1);
      expect(seen).toEqual(["/etc/x"]);
      expect(applied).toBe(dryRun ? 0 : 1);
      expect(gate.forHost("h")).toHaveLength(1);
      expect(gate.forHost("other")).toHaveLength(0);
    }
  });

  it("bookkeeping runs only on a real run and is never listed as a change", async () => {
    const real = new ChangeGate(false);
    expect(await real.bookkeeping(async () => 42)).toBe(42);
    const dry = new ChangeGate(true);
    let ran = false;
    expect(
      await dry.bookkeeping(async () => {
        ran = true;
      }),
    ).toBeUndefined();
    expect(ran).toBe(false);
    expect(real.changes).toEqual([]);
    expect(dry.changes).toEqual([]);
  });

  it("knows whether anything was started or restarted", async () => {
    const gate = new ChangeGate(true);
    await gate.wet({ host: "h", kind: "file", target: "f", detail: "d" }, async () => {});
    expect(gate.startedAnything).toBe(false);
    await gate.wet({ host: "h", kind: "restart", target: "consul.service", detail: "d" }, async () => {});
    expect(gate.startedAnything).toBe(true);
  });
});

/** A HostRun with just what actionFor reads. */
function run(name: string, units: Record<string, string>, restart: string[] = []): HostRun {
  const inv = cluster();
  const spec = hostNamed(inv, name);
  return {
    spec,
    desired: {
      components: [consul, nomad].filter((c) => c.runsOn(spec)),
      users: [],
      dirs: [],
      binaries: [],
      files: [],
    },
    state: {
      paths: new Map(),
      users: new Map(),
      pendingRestarts: new Set(),
      units: new Map(
        Object.entries(units).map(([u, active]) => [
          u,
          { loaded: true, active, mainPid: 1, enabled: true, needsDaemonReload: false },
        ]),
      ),
    },
    restart: new Set(restart),
    reload: new Set(),
  } as unknown as HostRun;
}

describe("actionFor", () => {
  it("starts what is not active, restarts what owes a restart, leaves the rest alone", () => {
    expect(actionFor(run("server-1", {}), consul)).toBe("start");
    expect(actionFor(run("server-1", { consul: "failed" }), consul)).toBe("start");
    expect(actionFor(run("server-1", { consul: "active" }), consul)).toBeNull();
    expect(actionFor(run("server-1", { consul: "active" }, ["consul"]), consul)).toBe("restart");
    // A pending restart of a stopped unit is a start (it reads its new files anyway).
    expect(actionFor(run("server-1", { consul: "inactive" }, ["consul"]), consul)).toBe("start");
  });

  it("does nothing for a component the host does not run", () => {
    expect(actionFor(run("edge-1", {}), nomad)).toBeNull();
    expect(actionFor(run("edge-1", {}, ["nomad"]), nomad)).toBeNull();
  });
});

describe("system users", () => {
  it("useradd makes a system account with its own group, no login, and supplementary groups", () => {
    expect(useraddArgv({ name: "consul", group: "consul", home: "/var/lib/consul" })).toEqual([
      "useradd",
      "--system",
      "--user-group",
      "--home-dir",
      "/var/lib/consul",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      "consul",
    ]);
    expect(
      useraddArgv({ name: "a", group: "a", home: "/h", groups: ["systemd-journal", "adm"] }).slice(-3),
    ).toEqual(["--groups", "systemd-journal,adm", "a"]);
  });
});

const server = (name: string, ip: string, healthy = true, voter = true, stableSince = 0) => ({
  name,
  address: `${ip}:8300`,
  status: healthy ? "alive" : "failed",
  healthy,
  voter,
  leader: false,
  version: "1.8.7",
  stableSince,
});
const quorum = (servers: ReturnType<typeof server>[], extra: Partial<QuorumHealth> = {}): QuorumHealth => ({
  service: "consul",
  leader: "10.0.0.1:8300",
  healthy: servers.every((s) => s.healthy),
  failureTolerance: Math.max(
    0,
    servers.filter((s) => s.healthy).length - (Math.floor(servers.length / 2) + 1),
  ),
  voters: servers.filter((s) => s.voter).length,
  servers,
  ...extra,
});

describe("quorum judgements", () => {
  const three = [server("a", "10.0.0.1"), server("b", "10.0.0.2"), server("c", "10.0.0.3")];

  it("is quorate only with a leader, every expected server a healthy voter", () => {
    expect(isQuorate(quorum(three), 3)).toBe(true);
    expect(isQuorate(quorum(three, { leader: "" }), 3)).toBe(false);
    expect(isQuorate(quorum(three), 5)).toBe(false);
    const sick = [server("a", "10.0.0.1"), server("b", "10.0.0.2"), server("c", "10.0.0.3", false)];
    expect(isQuorate(quorum(sick), 3)).toBe(false);
    expect(whyNotQuorate(quorum(sick), 3)).toBe("c not healthy");
    expect(whyNotQuorate(quorum(three, { leader: "" }), 3)).toBe("no leader yet");
    expect(whyNotQuorate(quorum(three), 5)).toBe("3 of 5 servers are voters");
  });

  it("spares a voter only while the quorum tolerates a failure (a single server always)", () => {
    const q = quorum(three);
    expect(canSpare(q, three[0] as never, 3)).toBe(true);
    const oneDown = [server("a", "10.0.0.1"), server("b", "10.0.0.2"), server("c", "10.0.0.3", false)];
    expect(canSpare(quorum(oneDown), oneDown[0] as never, 3)).toBe(false);
    const single = [server("a", "10.0.0.1")];
    expect(canSpare(quorum(single), single[0] as never, 1)).toBe(true);
    expect(canSpare(quorum(three, { leader: "" }), three[0] as never, 3)).toBe(false);
  });

  it("finds a server by its IP in autopilot's ip:port addresses", () => {
    expect(serverAt(quorum(three), "10.0.0.2")?.name).toBe("b");
    expect(serverAt(quorum(three), "10.0.0.9")).toBeUndefined();
    expect(hostOf("10.0.0.1:4647")).toBe("10.0.0.1");
    expect(hostOf("[fd00::1]:8300")).toBe("fd00::1");
    expect(hostOf("fd00::1")).toBe("fd00::1");
  });
});

describe("pollUntil", () => {
  it("needs the condition several readings in a row", async () => {
    const values = [true, false, true, true];
    let i = 0;
    const r = await pollUntil(
      async () => values[i++] ?? true,
      (v) => v,
      {
        timeoutMs: 5000,
        intervalMs: 1,
        readingsInARow: 2,
      },
    );
    expect(r.ok).toBe(true);
    expect(i).toBe(4);
  });

  it("gives up at once when told why, and reports progress on long waits", async () => {
    let reads = 0;
    const progress: number[] = [];
    const r = await pollUntil(
      async () => {
        reads++;
        return false;
      },
      (v) => v,
      {
        timeoutMs: 5000,
        intervalMs: 5,
        giveUp: () => (reads >= 3 ? "lost the connection to node2" : undefined),
        onProgress: (_last, ms) => progress.push(ms),
        progressEveryMs: 1,
      },
    );
    expect(r).toMatchObject({ ok: false, gaveUp: "lost the connection to node2" });
    expect(reads).toBe(3);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("keeps the last error when every reading failed, and stops at the deadline", async () => {
    const started = Date.now();
    const r = await pollUntil(
      async () => {
        throw new Error("connection refused");
      },
      () => true,
      { timeoutMs: 50, intervalMs: 5 },
    );
    expect(r.ok).toBe(false);
    expect((r.lastError as Error).message).toBe("connection refused");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe("unit health", () => {
  it("reads systemctl show lines", () => {
    expect(parseUnitReading("ActiveState=active\nSubState=running\nNRestarts=2\nResult=success\n")).toEqual({
      active: "active",
      sub: "running",
      restarts: 2,
      result: "success",
    });
  });

  it("calls a crashed, auto-restarting or restarted unit failed", () => {
    const r = (active: string, sub: string, restarts = 0) => ({ active, sub, restarts, result: "" });
    expect(judgeUnit(r("active", "running"), 0)).toBe("running");
    expect(judgeUnit(r("activating", "start"), 0)).toBe("starting");
    expect(judgeUnit(r("failed", "failed"), 0)).toBe("failed");
    expect(judgeUnit(r("activating", "auto-restart"), 0)).toBe("failed");
    expect(judgeUnit(r("active", "running", 1), 0)).toBe("failed");
  });
});

describe("the cluster lock", () => {
  it("needs a majority of the servers", () => {
    expect([1, 2, 3, 4, 5].map(majorityOf)).toEqual([1, 2, 2, 3, 3]);
  });

  it("reads the holder line the lock process writes", () => {
    const h = { by: "ops@box", pid: 42, command: "np up", since: "2026-01-01T00:00:00.000Z" };
    expect(parseHolder(`1234 ${JSON.stringify(h)}\n`)).toEqual(h);
    expect(parseHolder("junk")).toBeNull();
  });
});
