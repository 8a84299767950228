import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseHostState } from "../../src/cluster/host-state.js";
import { parseFacts } from "../../src/preflight/parse-facts.js";

// Real output of FACTS_SCRIPT + STATE_SCRIPT on a sandbox node where a unit named consul.service holds port 8500.
const sample = readFileSync(
  new URL("../fixtures/facts/facts-and-state.sandbox-node.txt", import.meta.url),
  "utf8",
);

describe("facts and state gathered in one round trip", () => {
  it("knows which systemd unit holds each listening port", () => {
    expect(parseFacts(sample).listening).toEqual([
      { proto: "tcp", port: 22, processes: ["sshd"], units: ["ssh.service"] },
      { proto: "tcp", port: 8500, processes: ["MainThread"], units: ["consul.service"] },
    ]);
  });

  it("reads paths, units, the consul user and pending restarts", () => {
    const s = parseHostState(sample);
    expect(s.paths.get("/etc/consul.d")).toEqual({ kind: "none" });
    expect(s.paths.get("/usr/local/bin/node")).toMatchObject({
      kind: "file",
      mode: "0755",
      owner: "root",
      group: "root",
    });
    expect(s.paths.get("/usr/local/bin/node")?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.units.get("consul")).toEqual({
      loaded: true,
      active: "active",
      mainPid: 54,
      enabled: false,
      needsDaemonReload: false,
    });
    expect(s.units.get("nomad")).toMatchObject({ loaded: false, active: "inactive", mainPid: 0 });
    expect(s.consulUser).toBe(false);
    expect(s.pendingRestarts.size).toBe(0);
  });

  it("refuses output that was cut short", () => {
    expect(() => parseHostState(sample.slice(0, sample.indexOf("--done")))).toThrow(/did not finish/);
  });
});
