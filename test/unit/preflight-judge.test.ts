import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { judgeAcrossHosts, judgeHost, portsFor } from "../../src/preflight/judge.js";
import { minimumFor } from "../../src/preflight/minimums.js";
import { type HostFacts, parseFacts } from "../../src/preflight/parse-facts.js";

const real = parseFacts(
  readFileSync(new URL("../fixtures/facts/facts-output.host.txt", import.meta.url), "utf8"),
);
const healthy: HostFacts = { ...real, systemd: true, listening: [] };

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
  const node5 = { name: "node5", address: "10.0.0.15", roles: ["client" as const] };

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

  it("refuses busy ports unless a process of np's own units holds them", () => {
    const busy = {
      ...healthy,
      listening: [
        { proto: "tcp" as const, port: 8500, processes: ["python3"] },
        { proto: "tcp" as const, port: 4646, processes: ["node"], units: ["nomad.service"] },
        { proto: "tcp" as const, port: 80, processes: ["nginx"] },
      ],
    };
    expect(judgeHost(node5, busy, 0).problems).toEqual([
      "port 8500/tcp is already in use by python3; np's services need it",
    ]);
    expect(judgeHost({ ...node5, roles: ["edge"] }, busy, 0).problems).toHaveLength(2);
    expect(portsFor(["observe"])).toContain(5080);
    expect(portsFor(["client"])).not.toContain(80);
  });

  it("refuses a host without systemd, an unsupported architecture, a full disk and a skewed clock", () => {
    const bad = { ...healthy, systemd: false, arch: "armv7l", disk: { ...healthy.disk, freeMb: 10 } };
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
