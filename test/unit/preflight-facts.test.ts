import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  parseFacts,
  parseMeminfo,
  parseOsRelease,
  parseOwners,
  parseProcNet,
  parseSs,
  splitSections,
} from "../../src/preflight/parse-facts.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), "utf8");

// FACTS_SCRIPT's output on a sandbox node (real systemd, real sshd), recorded with the nonce below as "$1".
const NONCE = "5f0c6e2a9b31d8e7";
const recorded = fixture("facts-output.sandbox-node.txt");

describe("fact parsers (fed real samples)", () => {
  it("reads the whole facts script output recorded on a sandbox node", () => {
    const f = parseFacts(recorded, NONCE);
    expect(f.os).toEqual({ id: "debian", like: "", version: "12", pretty: "Debian GNU/Linux 12 (bookworm)" });
    expect(f.arch).toBe("x86_64");
    expect(f.cpus).toBe(2);
    expect(f.systemd).toBe(true);
    expect(f.uid).toBe(0);
    expect(f.machineId).toMatch(/^[0-9a-f]{32}$/);
    expect(f.memory.totalMb).toBeGreaterThan(20_000);
    expect(f.timeMs).toBeGreaterThan(1.7e12);
    expect(f.disks).toEqual([
      {
        path: "/tmp",
        mount: "/tmp",
        totalMb: Math.floor(2468360 / 1024),
        freeMb: Math.floor(2468360 / 1024),
      },
      {
        path: "/usr/local/bin",
        mount: "/",
        totalMb: Math.floor(264212084 / 1024),
        freeMb: Math.floor(78360024 / 1024),
      },
      {
        path: "/var/lib",
        mount: "/",
        totalMb: Math.floor(264212084 / 1024),
        freeMb: Math.floor(78360024 / 1024),
      },
    ]);
    expect(f.disk).toEqual(f.disks[2]);
    expect(f.listening).toEqual([
      { proto: "tcp", port: 22, processes: ["sshd"], units: ["ssh.service"], npComponents: [] },
    ]);
    expect(f.unreadable).toEqual([]);
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
    expect(() => parseFacts(recorded.slice(0, recorded.indexOf("--end")), NONCE)).toThrow(/did not finish/);
  });

  it("reads /proc/meminfo in MB, and the fake 128 MB meminfo of a small node", () => {
    const real = parseMeminfo(fixture("meminfo.vm-24g.txt").split("\n"));
    expect(real.totalMb).toBeGreaterThan(20_000);
    expect(real.availableMb).toBeLessThanOrEqual(real.totalMb ?? 0);
    expect(parseMeminfo(["MemTotal:         131072 kB", "MemFree:          100000 kB"])).toEqual({
      totalMb: 128,
      availableMb: 97,
    });
    expect(parseMeminfo(["Cached: 1 kB"])).toEqual({ totalMb: null, availableMb: null });
    expect(parseMeminfo(["MemTotal: 12x kB"]).totalMb).toBeNull();
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
    expect(parseSs([line], parseOwners(["9 nomad.service nomad", "10 nomad.service"]))).toEqual([
      {
        proto: "tcp",
        port: 4646,
        processes: ["node", "node"],
        units: ["nomad.service", "nomad.service"],
        npComponents: ["nomad"],
      },
    ]);
  });
});

describe("section markers cannot be forged by what the script prints", () => {
  /** The recorded output with extra lines printed inside one of its sections. */
  const withLinesIn = (section: string, lines: string[]) =>
    recorded.replace(`--${section} ${NONCE}\n`, `--${section} ${NONCE}\n${lines.join("\n")}\n`);

  it("keeps an os-release line that looks like a marker inside os-release", () => {
    const forged = withLinesIn("os-release", [
      "--meminfo",
      "MemTotal: 999999999 kB",
      "--meminfo 0000000000000000",
      "MemTotal: 888888888 kB",
      "--end",
    ]);
    const real = parseFacts(recorded, NONCE);
    const f = parseFacts(forged, NONCE);
    expect(f.memory).toEqual(real.memory);
    expect(f.os).toEqual(real.os);
  });

  it("only honours marker lines with this run's nonce, and ignores what comes before the first", () => {
    const text = `cpus=64\n--facts ${NONCE}\ncpus=2\n--facts-x ${NONCE}x\n--end other\n--end ${NONCE}\n`;
    expect([...splitSections(text, NONCE)]).toEqual([
      ["facts", ["cpus=2", `--facts-x ${NONCE}x`, "--end other"]],
      ["end", []],
    ]);
    expect(splitSections(text, "").size).toBe(0);
  });

  it("keeps the first value when a fact repeats (a later line cannot change the CPU count)", () => {
    const forged = recorded.replace(/^cpus=2$/m, "cpus=2\ncpus=64");
    expect(parseFacts(forged, NONCE).cpus).toBe(2);
  });

  it("fails as cut short when the end marker carries another nonce", () => {
    expect(() => parseFacts(recorded.replace(`--end ${NONCE}`, "--end 1111111111111111"), NONCE)).toThrow(
      /did not finish/,
    );
  });
});

describe("facts that lie are unreadable, never NaN", () => {
  const withFact = (key: string, value: string | null) =>
    recorded.replace(new RegExp(`^${key}=.*\\n`, "m"), value === null ? "" : `${key}=${value}\n`);

  it.each([
    ["cpus", "x", "CPU count", "'x'"],
    ["cpus", "", "CPU count", "nothing"],
    ["cpus", null, "CPU count", "nothing"],
    ["cpus", "0", "CPU count", "'0'"],
    ["cpus", "2.5", "CPU count", "'2.5'"],
    ["time_ms", "1795741026%3N", "clock", "'1795741026%3N'"],
    ["time_ms", "-5", "clock", "'-5'"],
  ])("%s=%j is an unreadable %s", (key, value, fact, got) => {
    const f = parseFacts(withFact(key, value), NONCE);
    expect(f.unreadable).toEqual([{ fact, got }]);
    expect(key === "cpus" ? f.cpus : f.timeMs).toBeNull();
  });

  it("says which disk figure could not be read", () => {
    const junk = recorded.replace(/^\/tmp .*$/m, "/tmp n/a n/a /tmp").replace(/^\/var\/lib .*\n/m, "");
    const f = parseFacts(junk, NONCE);
    expect(f.unreadable).toEqual([
      { fact: "free space in /tmp", got: "'n/a n/a /tmp'" },
      { fact: "free space in /var/lib", got: "nothing" },
    ]);
    expect(f.disks.map((d) => d.freeMb)).toEqual([null, expect.any(Number), null]);
  });

  it("says the memory size could not be read, quoting the line", () => {
    const junk = recorded.replace(/^MemTotal:.*$/m, "MemTotal:       lots kB");
    const f = parseFacts(junk, NONCE);
    expect(f.memory.totalMb).toBeNull();
    expect(f.unreadable).toEqual([{ fact: "memory size", got: "'MemTotal: lots kB'" }]);
  });

  it("cuts a long value short in the message", () => {
    const f = parseFacts(withFact("cpus", "y".repeat(100)), NONCE);
    expect(f.unreadable[0]?.got).toBe(`'${"y".repeat(40)}…'`);
  });
});
