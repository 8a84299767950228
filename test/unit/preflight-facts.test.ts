import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseFacts,
  parseMeminfo,
  parseOsRelease,
  parseProcNet,
  parseSs,
} from "../../src/preflight/parse-facts.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), "utf8");

describe("fact parsers (fed real samples)", () => {
  it("reads the whole facts script output captured on a real host", () => {
    const f = parseFacts(fixture("facts-output.host.txt"));
    expect(f.os).toEqual({ id: "debian", like: "", version: "12", pretty: "Debian GNU/Linux 12 (bookworm)" });
    expect(f.arch).toBe("x86_64");
    expect(f.cpus).toBe(2);
    expect(f.systemd).toBe(false);
    expect(f.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(f.memory.totalMb).toBeGreaterThan(20_000);
    expect(f.disk.freeMb).toBe(Math.floor(81813100 / 1024));
    expect(f.listening).toEqual([
      { proto: "tcp", port: 2024, processes: [], units: [] },
      { proto: "tcp", port: 8500, processes: ["python3"], units: [] },
      { proto: "udp", port: 8600, processes: ["python3"], units: [] },
    ]);
  });

  it("reads os-release files (a real Debian 12 one, and Ubuntu 24.04's)", () => {
    expect(parseOsRelease(fixture("os-release.debian-12.txt").split("\n"))).toEqual({
      id: "debian",
      like: "",
      version: "12",
      pretty: "Debian GNU/Linux 12 (bookworm)",
    });
    expect(parseOsRelease(fixture("os-release.ubuntu-24.04.txt").split("\n"))).toEqual({
      id: "ubuntu",
      like: "debian",
      version: "24.04",
      pretty: "Ubuntu 24.04.1 LTS",
    });
    expect(parseOsRelease(['NAME="A \\"quoted\\" name"', "ID='single'"])).toMatchObject({
      id: "single",
      pretty: 'A "quoted" name',
    });
    expect(parseOsRelease([])).toEqual({ id: "unknown", like: "", version: "", pretty: "unknown" });
  });

  it("refuses output that was cut short", () => {
    const text = fixture("facts-output.host.txt");
    expect(() => parseFacts(text.slice(0, text.indexOf("--end")))).toThrow(/did not finish/);
  });

  it("reads /proc/meminfo in MB, and the fake 128 MB meminfo of a small node", () => {
    const real = parseMeminfo(fixture("meminfo.vm-24g.txt").split("\n"));
    expect(real.totalMb).toBeGreaterThan(20_000);
    expect(real.availableMb).toBeLessThanOrEqual(real.totalMb);
    expect(parseMeminfo(["MemTotal:         131072 kB", "MemFree:          100000 kB"])).toEqual({
      totalMb: 128,
      availableMb: 97,
    });
    expect(() => parseMeminfo(["Cached: 1 kB"])).toThrow(/MemTotal/);
  });

  it("reads listening sockets from /proc/net when ss is missing", () => {
    expect(parseProcNet(fixture("proc-net.txt").split("\n"))).toEqual([
      { proto: "tcp", port: 8500, processes: [] },
      { proto: "tcp", port: 2024, processes: [] },
      { proto: "udp", port: 8600, processes: [] },
    ]);
  });

  it("reads IPv6, several processes and their systemd units from ss", () => {
    const line = 'tcp LISTEN 0 4096 [::]:4646 [::]:* users:(("node",pid=9,fd=8),("node",pid=10,fd=8))';
    expect(parseSs([line], new Map([["9", "nomad.service"]]))).toEqual([
      { proto: "tcp", port: 4646, processes: ["node", "node"], units: ["nomad.service"] },
    ]);
  });
});
