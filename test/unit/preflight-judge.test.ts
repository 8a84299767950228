import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DISK_NEEDS, diskProblems, judgeAcrossHosts, judgeHost } from "../../src/preflight/judge.js";
import { minimumFor } from "../../src/preflight/minimums.js";
import { type HostFacts, parseFacts } from "../../src/preflight/parse-facts.js";

const real = parseFacts(
  readFileSync(new URL("../fixtures/facts/facts-output.sandbox-node.txt", import.meta.url), "utf8"),
  "5f0c6e2a9b31d8e7",
);
const healthy: HostFacts = { ...real, systemd: true, listening: [] };
const disk = (path: "/tmp" | "/usr/local/bin" | "/var/lib", mount: string, freeMb: number | null) => ({
  path,
  mount,
  totalMb: 100_000,
  freeMb,
});

describe("role minimums", () => {
  it("sums the roles plus Consul once", () => {
    expect(minimumFor(["client"])).toEqual({ memoryMb: 256, cpu: 0.75 });
    expect(minimumFor(["server"])).toEqual({ memoryMb: 384, cpu: 0.75 });
    expect(minimumFor(["server", "client", "edge"])).toEqual({ memoryMb: 576, cpu: 1.5 });
    expect(minimumFor(["client", "observe"])).toEqual({ memoryMb: 512, cpu: 1.75 });
    expect(minimumFor(["server", "server"])).toEqual(minimumFor(["server"]));
  });
});

describe("judging a host", () => {
  const node5 = {
    name: "node5",
    address: "10.0.0.15",
    roles: ["client" as const],
    ports: [
      { port: 8500, proto: "tcp" as const },
      { port: 4646, proto: "tcp" as const },
    ],
  };

  it("passes a healthy host", () => {
    const v = judgeHost(node5, healthy, 12);
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it("refuses a small host with the numbers in the message", () => {
    const small = { ...healthy, cpus: 1, memory: { totalMb: 128, availableMb: 100 } };
    expect(judgeHost(node5, small, 0).problems).toEqual([
      "role client need 256 MB RAM and 0.75 CPU; it has 128 MB and 1 CPU",
    ]);
    const server = judgeHost({ ...node5, roles: ["server", "observe"] }, small, 0);
    expect(server.problems[0]).toBe(
      "roles server, observe need 640 MB RAM and 1.75 CPU; it has 128 MB and 1 CPU",
    );
  });

  it("honours explicit overrides and warns about them", () => {
    const small = { ...healthy, cpus: 1, memory: { totalMb: 128, availableMb: 100 } };
    const v = judgeHost({ ...node5, override: { memoryMb: 100, cpu: 0.5 } }, small, 0);
    expect(v.ok).toBe(true);
    expect(v.warnings[0]).toMatch(/overridden.*100 MB RAM and 0.5 CPU instead of 256 MB and 0.75 CPU/);
  });

  it("refuses busy ports unless np's own (marked) units hold them", () => {
    const busy = {
      ...healthy,
      listening: [
        { proto: "tcp" as const, port: 8500, processes: ["python3"] },
        // A Consul someone else installed: a unit called consul.service, but not written by np.
        { proto: "tcp" as const, port: 4646, processes: ["nomad"], units: ["nomad.service"] },
        { proto: "tcp" as const, port: 80, processes: ["nginx"] },
      ],
    };
    expect(judgeHost(node5, busy, 0).problems).toEqual([
      "port 8500/tcp is already in use by python3; np's services need it",
      "port 4646/tcp is already in use by nomad; np's services need it",
    ]);
    const ours = {
      ...busy,
      listening: busy.listening.map((p) => ({ ...p, npComponents: p.port === 80 ? [] : ["consul"] })),
    };
    expect(judgeHost(node5, ours, 0).problems).toEqual([]);
    // Only the ports the host's components need are checked.
    expect(judgeHost({ ...node5, ports: [{ port: 80, proto: "tcp" }] }, busy, 0).problems).toEqual([
      "port 80/tcp is already in use by nginx; np's services need it",
    ]);
    expect(judgeHost({ ...node5, ports: [{ port: 80, proto: "udp" }] }, busy, 0).problems).toEqual([]);
  });

  it("refuses a host without systemd, an unsupported architecture, a full disk and a skewed clock", () => {
    const full = disk("/var/lib", "/var", 10);
    const bad = {
      ...healthy,
      systemd: false,
      arch: "armv7l",
      disk: full,
      disks: [...healthy.disks.slice(0, 2), full],
    };
    const v = judgeHost(node5, bad, 9000);
    expect(v.problems.join("\n")).toMatch(/systemd is not running/);
    expect(v.problems.join("\n")).toMatch(/armv7l is not supported/);
    expect(v.problems.join("\n")).toMatch(/only 10 MB free/);
    expect(v.problems.join("\n")).toMatch(/clock differs .* by 9.0 s/);
    expect(judgeHost(node5, healthy, -2000).warnings.join()).toMatch(/2.0 s/);
  });

  it("refuses hosts that share a machine-id (cloned VMs)", () => {
    const a = judgeHost({ ...node5, name: "a" }, { ...healthy, hostname: "a" }, 0);
    const b = judgeHost({ ...node5, name: "b" }, { ...healthy, hostname: "b" }, 0);
    judgeAcrossHosts([a, b]);
    expect(a.ok).toBe(false);
    expect(a.problems[0]).toMatch(/machine-id .* is the same as on b/);
    expect(b.problems[0]).toMatch(/same as on a/);
  });
});

describe("facts that lie", () => {
  const node3 = { name: "node3", address: "10.0.0.13", roles: ["client" as const], ports: [] };

  it("refuses a host whose facts could not be read, naming each, and compares nothing with them", () => {
    const junk: HostFacts = {
      ...healthy,
      cpus: null,
      timeMs: null,
      memory: { totalMb: null, availableMb: null },
      unreadable: [
        { fact: "CPU count", got: "'x'" },
        { fact: "memory size", got: "nothing" },
        { fact: "clock", got: "'1795741026%3N'" },
      ],
    };
    const v = judgeHost(node3, junk, Number.NaN);
    expect(v.ok).toBe(false);
    expect(v.problems).toEqual([
      "could not read the CPU count: got 'x'",
      "could not read the memory size: got nothing",
      "could not read the clock: got '1795741026%3N'",
    ]);
    expect(v.clockOffsetMs).toBeNull();
  });

  it("still names a short host when only the other figure is unreadable", () => {
    const small = { ...healthy, cpus: null, memory: { totalMb: 128, availableMb: 100 } };
    expect(judgeHost(node3, small, 0).problems).toContain(
      "role client need 256 MB RAM and 0.75 CPU; it has 128 MB and an unknown number of CPUs",
    );
  });
});

describe("free space where np writes", () => {
  it("passes the recorded sandbox node (tmpfs /tmp, the rest on /)", () => {
    expect(diskProblems(healthy.disks)).toEqual([]);
  });

  it("needs the sum on a shared filesystem, saying what each path is for", () => {
    const onRoot = (free: number) => [
      disk("/tmp", "/", free),
      disk("/usr/local/bin", "/", free),
      disk("/var/lib", "/", free),
    ];
    const sum = DISK_NEEDS["/tmp"].mb + DISK_NEEDS["/usr/local/bin"].mb + DISK_NEEDS["/var/lib"].mb;
    expect(diskProblems(onRoot(sum))).toEqual([]);
    expect(diskProblems(onRoot(sum - 1))).toEqual([
      `only ${sum - 1} MB free in /tmp, /usr/local/bin, /var/lib (filesystem /); np needs at least ${sum} MB there: 512 MB to stage uploads in /tmp, 1024 MB for binaries in /usr/local/bin, 1024 MB for data in /var/lib`,
    ]);
  });

  it("checks a separate /tmp and /usr/local on their own", () => {
    const problems = diskProblems([
      disk("/tmp", "/tmp", 100),
      disk("/usr/local/bin", "/usr/local", 1000),
      disk("/var/lib", "/", 5000),
    ]);
    expect(problems).toEqual([
      "only 100 MB free in /tmp (filesystem /tmp); np needs at least 512 MB there to stage uploads",
      "only 1000 MB free in /usr/local/bin (filesystem /usr/local); np needs at least 1024 MB there for binaries",
    ]);
  });

  it("leaves unreadable figures to their own problem", () => {
    expect(diskProblems([disk("/tmp", "/tmp", null)])).toEqual([]);
  });
});
