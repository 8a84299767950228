import { describe, expect, it } from "vitest";
import { cluster, desiredFiles, hostOf, SECRETS } from "../unit/render-fixtures.js";

/** A systemd unit file as sections → directive → values (a directive may repeat). Comments and blanks dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header?.[1]) {
      if (sections.has(header[1])) throw new Error(`line ${i + 1}: section [${header[1]}] repeated`);
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const directive = /^([A-Za-z][A-Za-z0-9-]*)=(.*)$/.exec(line);
    if (!directive?.[1] || directive[2] === undefined)
      throw new Error(`line ${i + 1}: not a directive: ${raw}`);
    if (!current) throw new Error(`line ${i + 1}: directive outside a section`);
    current.set(directive[1], [...(current.get(directive[1]) ?? []), directive[2]]);
  }
  return sections;
}

/** The value of a directive that must appear once. */
function one(unit: Map<string, Map<string, string[]>>, section: string, key: string): string | undefined {
  const values = unit.get(section)?.get(key);
  if (values && values.length > 1) throw new Error(`[${section}] ${key} appears ${values.length} times`);
  return values?.[0];
}

/** Words of a Wants=/After= list, which systemd also accepts split over several lines. */
function list(unit: Map<string, Map<string, string[]>>, section: string, key: string): string[] {
  return (unit.get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/).filter(Boolean));
}

function unitOf(hostName: string, path: string) {
  const inv = cluster();
  const file = desiredFiles(inv, hostOf(inv, hostName), SECRETS).find((f) => f.path === path);
  if (!file) throw new Error(`no ${path} on ${hostName}`);
  return parseUnit(file.content);
}

describe("systemd units (notes/cluster-layout.md)", () => {
  it("consul.service has the contract's directives and starts the installed binary", () => {
    for (const name of ["server-1", "client-1", "edge-1", "observe-1"]) {
      const u = unitOf(name, "/etc/systemd/system/consul.service");
      expect([...u.keys()], name).toEqual(["Unit", "Service", "Install"]);
      expect(list(u, "Unit", "Wants")).toContain("network-online.target");
      expect(list(u, "Unit", "After")).toContain("network-online.target");
      const service = Object.fromEntries(
        ["Type", "User", "Group", "ExecReload", "KillMode", "KillSignal", "Restart", "LimitNOFILE"].map(
          (k) => [k, one(u, "Service", k)],
        ),
      );
      expect(service).toEqual({
        Type: "notify",
        User: "consul",
        Group: "consul",
        ExecReload: "/bin/kill --signal HUP $MAINPID",
        KillMode: "process",
        KillSignal: "SIGTERM",
        Restart: "on-failure",
        LimitNOFILE: "65536",
      });
      const argv = one(u, "Service", "ExecStart")?.split(/\s+/);
      expect(argv?.[0]).toBe("/usr/local/bin/consul");
      expect(argv?.slice(1)).toEqual(["agent", "-config-dir=/etc/consul.d"]);
      expect(one(u, "Install", "WantedBy")).toBe("multi-user.target");
    }
  });

  it("nomad.service has the contract's directives, starts after Consul and runs the installed binary", () => {
    for (const name of ["server-1", "client-1"]) {
      const u = unitOf(name, "/etc/systemd/system/nomad.service");
      expect([...u.keys()], name).toEqual(["Unit", "Service", "Install"]);
      expect(list(u, "Unit", "Wants").sort()).toEqual(["consul.service", "network-online.target"]);
      expect(list(u, "Unit", "After").sort()).toEqual(["consul.service", "network-online.target"]);
      const keys = [
        "Type",
        "User",
        "ExecReload",
        "KillMode",
        "KillSignal",
        "LimitNOFILE",
        "LimitNPROC",
        "TasksMax",
        "Restart",
        "RestartSec",
        "OOMScoreAdjust",
      ];
      expect(Object.fromEntries(keys.map((k) => [k, one(u, "Service", k)]))).toEqual({
        Type: "exec",
        User: "root",
        ExecReload: "/bin/kill -HUP $MAINPID",
        KillMode: "process",
        KillSignal: "SIGINT",
        LimitNOFILE: "65536",
        LimitNPROC: "infinity",
        TasksMax: "infinity",
        Restart: "on-failure",
        RestartSec: "2",
        OOMScoreAdjust: "-1000",
      });
      const argv = one(u, "Service", "ExecStart")?.split(/\s+/);
      expect(argv?.[0]).toBe("/usr/local/bin/nomad");
      expect(argv?.slice(1)).toEqual(["agent", "-config", "/etc/nomad.d"]);
      expect(one(u, "Install", "WantedBy")).toBe("multi-user.target");
    }
  });

  it("the unit parser catches a broken unit (so the checks above can fail)", () => {
    expect(() => parseUnit("[Service]\nType notify\n")).toThrow(/not a directive/);
    expect(() => parseUnit("Type=notify\n")).toThrow(/outside a section/);
    expect(() => one(parseUnit("[Service]\nType=exec\nType=notify\n"), "Service", "Type")).toThrow(/2 times/);
  });
});
