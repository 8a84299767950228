// Unit tests of np-agent's parsers: /proc files, systemctl show, Nomad allocations, journal lines, OpenObserve's
// ingest answer and the config file.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_SPOOL_MAX_BYTES, parseConfig } from "../../agent/src/config.js";
import { agentServiceDefinition } from "../../agent/src/consul/consul.js";
import { allocationIsLive, parseNodeAllocations } from "../../agent/src/nomad/allocations.js";
import { journalctlArgv, parseJournalLine, stubFromHead } from "../../agent/src/ship/journal.js";
import { MAX_LINE_BYTES } from "../../agent/src/ship/lines.js";
import { parseIngestResponse } from "../../agent/src/ship/openobserve.js";
import { cpuPercent, parseProcStat } from "../../agent/src/system/cpu.js";
import { parseLoadavg, parseMeminfo, parseUptime } from "../../agent/src/system/meminfo.js";
import { parseSystemctlShow, systemctlFailure, systemctlShowArgv } from "../../agent/src/system/units.js";

describe("/proc parsers", () => {
  // Captured on this project's 2-core VM.
  const stat1 =
    "cpu  120899 0 41312 307198 1443 0 1046 136 0 0\ncpu0 59344 0 20126 155651 355 0 406 67 0 0\nintr 1\n";
  const stat2 = "cpu  121099 0 41412 307498 1443 0 1046 136 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\n";

  it("reads the aggregate cpu line and computes usage between two readings", () => {
    const a = parseProcStat(stat1);
    expect(a).toEqual({
      busy: 120899 + 41312 + 1046 + 136,
      total: 120899 + 41312 + 307198 + 1443 + 1046 + 136,
    });
    // 300 busy ticks (200 user + 100 system) of 600.
    expect(cpuPercent(a, parseProcStat(stat2))).toBe(50);
    expect(cpuPercent(a, a)).toBeNull();
    expect(() => parseProcStat("intr 1\n")).toThrow(/no aggregate cpu line/);
  });

  it("reads meminfo (MemAvailable, and the fallback without it)", () => {
    const m = parseMeminfo(readFileSync("test/fixtures/facts/meminfo.vm-24g.txt", "utf8"));
    expect(m.totalBytes).toBe(24684096 * 1024);
    expect(m.availableBytes).toBe(24295144 * 1024);
    expect(m.usedBytes).toBe((24684096 - 24295144) * 1024);
    // A --small sandbox node's fake meminfo (bind-mounted over /proc/meminfo) and an old kernel's.
    const small = parseMeminfo(
      "MemTotal:         131072 kB\nMemFree:          100000 kB\nMemAvailable:     120000 kB\n",
    );
    expect(small.totalBytes).toBe(128 * 1024 * 1024);
    const old = parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n");
    expect(old.availableBytes).toBe(400 * 1024);
    expect(() => parseMeminfo("junk")).toThrow(/MemTotal/);
  });

  it("reads loadavg and uptime", () => {
    expect(parseLoadavg("2.38 2.31 1.88 2/376 1384\n")).toEqual([2.38, 2.31, 1.88]);
    expect(parseUptime("2384.03 3071.98\n")).toBe(2384);
    expect(() => parseLoadavg("x")).toThrow();
    expect(() => parseUptime("")).toThrow();
  });
});

describe("systemctl show", () => {
  it("is one command for every unit", () => {
    expect(systemctlShowArgv(["consul", "nomad", "np-agent"])).toEqual([
      "systemctl",
      "show",
      "--property=Id,LoadState,ActiveState,SubState,MainPID",
      "--",
      "consul.service",
      "nomad.service",
      "np-agent.service",
    ]);
  });

  it("matches blocks to units by Id, unknown units included", () => {
    // Shape of systemd 252's output (Debian bookworm): properties in systemd's order, not the asked one.
    const out = [
      "MainPID=812\nId=consul.service\nLoadState=loaded\nActiveState=active\nSubState=running",
      "MainPID=0\nId=nomad.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead",
      "MainPID=0\nId=np-agent.service\nLoadState=loaded\nActiveState=failed\nSubState=failed",
    ].join("\n\n");
    expect(parseSystemctlShow(`${out}\n`, ["consul", "nomad", "np-agent"])).toEqual([
      { name: "consul", loadState: "loaded", activeState: "active", subState: "running", mainPid: 812 },
      { name: "nomad", loadState: "not-found", activeState: "inactive", subState: "dead", mainPid: 0 },
      { name: "np-agent", loadState: "loaded", activeState: "failed", subState: "failed", mainPid: 0 },
    ]);
    expect(parseSystemctlShow("", ["consul"])[0]?.activeState).toBe("unknown");
  });

  it("names the fix when the D-Bus system bus is missing (seen as user np-agent on a minimal Debian)", () => {
    expect(systemctlFailure(1, "Failed to connect to bus: No such file or directory\n")).toBe(
      "systemctl show exited 1: Failed to connect to bus: No such file or directory (unit states are read over the D-Bus system bus: install and start the dbus package)",
    );
    expect(systemctlFailure(1, "")).toBe("systemctl show exited 1: no output");
  });
});

describe("Nomad node allocations", () => {
  // The fields np reads, as Nomad's GET /v1/node/:id/allocations returns them (full structs.Allocation,
  // reference nomad-api/nodes__list-node-allocations__sample-response.json, trimmed).
  const doc = [
    {
      ID: "fefe81d0-08b2-4eca-fae6-6560cde46d31",
      EvalID: "5129bc74-9785-c39a-08da-bddc8aa778b1",
      JobID: "webapp",
      Job: { ID: "webapp", TaskGroups: [{ Name: "webapp" }] },
      TaskGroup: "webapp",
      ClientStatus: "running",
      DesiredStatus: "run",
      TaskStates: {
        webapp: { State: "running", Failed: false, Restarts: 0, Events: [] },
        sidecar: { State: "dead", Failed: true, Restarts: 2, Events: [] },
      },
    },
    { ID: "5fc98185-17ff-26bc-a802-0c74fa471c99", JobID: "old", TaskGroup: "g", ClientStatus: "complete" },
  ];

  it("keeps ID, JobID, TaskGroup, ClientStatus and the task states", () => {
    const allocs = parseNodeAllocations(doc);
    expect(allocs[0]).toEqual({
      id: "fefe81d0-08b2-4eca-fae6-6560cde46d31",
      jobId: "webapp",
      taskGroup: "webapp",
      clientStatus: "running",
      desiredStatus: "run",
      tasks: [
        { name: "sidecar", state: "dead", failed: true, restarts: 2 },
        { name: "webapp", state: "running", failed: false, restarts: 0 },
      ],
    });
    expect(allocs.filter(allocationIsLive).map((a) => a.jobId)).toEqual(["webapp"]);
    expect(() => parseNodeAllocations({})).toThrow(/not a JSON list/);
  });
});

describe("journal lines", () => {
  // Shape of `journalctl -o json --all --output-fields=...` (systemd 252): __CURSOR first, values as strings.
  const line = JSON.stringify({
    __CURSOR: "s=6d1c;i=2a1;b=9e0d;m=1b2c;t=5f3a;x=77",
    __REALTIME_TIMESTAMP: "1764590000123456",
    __MONOTONIC_TIMESTAMP: "123456",
    _BOOT_ID: "9e0d",
    PRIORITY: "6",
    _SYSTEMD_UNIT: "consul.service",
    _PID: "812",
    SYSLOG_IDENTIFIER: "consul",
    MESSAGE: "agent: Synced node info",
  });

  it("reads an entry", () => {
    expect(parseJournalLine(line, "node1")).toEqual({
      _timestamp: 1764590000123456,
      node: "node1",
      unit: "consul.service",
      priority: 6,
      pid: 812,
      identifier: "consul",
      message: "agent: Synced node info",
      cursor: "s=6d1c;i=2a1;b=9e0d;m=1b2c;t=5f3a;x=77",
    });
  });

  it("decodes binary messages (byte arrays), repeated fields, and caps long ones", () => {
    const bin = parseJournalLine(JSON.stringify({ __CURSOR: "c", MESSAGE: [104, 105, 0xff, 10, 33] }), "n");
    expect(bin.message).toBe("hi\uFFFD\n!");
    const twice = parseJournalLine(
      JSON.stringify({ __CURSOR: "c", MESSAGE: ["a", "b"], _PID: ["1", "2"] }),
      "n",
    );
    expect([twice.message, twice.pid]).toEqual(["a\nb", 1]);
    const long = parseJournalLine(JSON.stringify({ __CURSOR: "c", MESSAGE: "x".repeat(100_000) }), "n");
    expect(long.truncated).toBe(true);
    expect(Buffer.byteLength(long.message)).toBeLessThan(MAX_LINE_BYTES + 100);
    expect(parseJournalLine(JSON.stringify({ __CURSOR: "c", MESSAGE: null }), "n").message).toBe("");
    expect(() => parseJournalLine("{}", "n")).toThrow(/__CURSOR/);
    expect(() => parseJournalLine("not json", "n")).toThrow();
  });

  it("ships a stub for an entry too long to hold, with the cursor from its head", () => {
    const stub = stubFromHead(line.slice(0, 120), "node1", 1024);
    expect(stub?.cursor).toBe("s=6d1c;i=2a1;b=9e0d;m=1b2c;t=5f3a;x=77");
    expect(stub?._timestamp).toBe(1764590000123456);
    expect(stubFromHead('{"MESSAGE":"x', "n", 1)).toBeNull();
  });

  it("reads after the cursor, or the current boot on a first start", () => {
    expect(journalctlArgv(["consul", "nomad"], null)).toEqual([
      "journalctl",
      "--output=json",
      "--all",
      "--no-pager",
      "--quiet",
      "--output-fields=MESSAGE,PRIORITY,_SYSTEMD_UNIT,_PID,SYSLOG_IDENTIFIER",
      "--boot",
      "--unit",
      "consul.service",
      "--unit",
      "nomad.service",
    ]);
    expect(journalctlArgv(["consul"], "s=1;i=2")).toContain("--after-cursor=s=1;i=2");
  });
});

describe("OpenObserve ingest answer", () => {
  it("counts successful and failed records", () => {
    const ok = '{"code":200,"status":[{"name":"nomad_logs","successful":3,"failed":0}]}';
    expect(parseIngestResponse(200, ok)).toEqual({ kind: "accepted", successful: 3, failed: 0, error: null });
    const partial = '{"code":200,"status":[{"name":"s","successful":2,"failed":1,"error":"too large"}]}';
    expect(parseIngestResponse(200, partial)).toEqual({
      kind: "accepted",
      successful: 2,
      failed: 1,
      error: "too large",
    });
  });

  it("retries outages and refused credentials, gives up on a refused request", () => {
    expect(parseIngestResponse(503, "down").kind).toBe("retry");
    expect(parseIngestResponse(401, "Unauthorized Access").kind).toBe("retry");
    expect(parseIngestResponse(400, "bad json").kind).toBe("rejected");
    expect(parseIngestResponse(413, "").kind).toBe("rejected");
  });
});

describe("config", () => {
  const valid = {
    node: "node1",
    roles: ["server", "client"],
    datacenter: "dc1",
    listen: { address: "10.213.7.11", port: 9190 },
    intervalSec: 10,
    stateDir: "/var/lib/np-agent",
    consul: { address: "http://127.0.0.1:8500", token: null },
    nomad: { address: "http://10.213.7.11:4646", token: null, dataDir: "/var/lib/nomad" },
    openobserve: {
      url: "http://10.213.7.15:5080/",
      org: "default",
      user: "np-agent@np.invalid",
      password: "p",
    },
    units: ["consul", "nomad", "np-agent"],
    versions: { consul: "1.8.7", nomad: "1.10.5", "np-agent": "0.1.0", node: "24.22.3" },
    disks: ["/", "/var/lib/nomad"],
    streams: { metrics: "np_node_metrics", logs: "nomad_logs", journal: "np_journal" },
  };

  it("accepts the documented file (nomad and openobserve may be null)", () => {
    const c = parseConfig(valid);
    expect(c.openobserve?.url).toBe("http://10.213.7.15:5080");
    expect(c.spoolMaxBytes).toBe(DEFAULT_SPOOL_MAX_BYTES);
    expect(parseConfig({ ...valid, nomad: null, openobserve: null }).nomad).toBeNull();
  });

  it("names the bad key", () => {
    expect(() => parseConfig({ ...valid, listen: { address: "x", port: "9190" } })).toThrow(
      new ConfigError("listen.port: must be a number from 0 to 65535"),
    );
    expect(() => parseConfig({ ...valid, consul: { address: "127.0.0.1:8500" } })).toThrow(/consul.address/);
    expect(() => parseConfig({ ...valid, node: "a/b" })).toThrow(/node:/);
    expect(() => parseConfig({ ...valid, streams: { metrics: "m" } })).toThrow(/streams.logs/);
  });

  it("registers np-agent with an HTTP check on /v1/health every 10 s", () => {
    const d = agentServiceDefinition("10.213.7.11", 9190, "node1", "0.1.0");
    expect(d).toMatchObject({ ID: "np-agent", Name: "np-agent", Address: "10.213.7.11", Port: 9190 });
    expect(d.Check).toMatchObject({ HTTP: "http://10.213.7.11:9190/v1/health", Interval: "10s" });
  });
});
