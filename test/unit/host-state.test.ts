import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseHostState } from "../../src/cluster/host-state.js";
import { parseFacts } from "../../src/preflight/parse-facts.js";

// Real output of FACTS_SCRIPT + STATE_SCRIPT on a sandbox server node after `np up` (real Consul, the Nomad double
// as nomad.service), asked about: /etc/consul.d /etc/consul.d/consul.hcl /usr/local/bin/consul
// /usr/local/bin/node /etc/np-missing. Recorded before the scripts marked their sections with a per-run nonce:
// its marker lines were rewritten to carry NONCE, as the scripts now print them (the content is as recorded).
const NONCE = "0d6f3b2a91c4e857";
const sample = readFileSync(
  new URL("../fixtures/facts/facts-and-state.sandbox-node.txt", import.meta.url),
  "utf8",
);

describe("facts and state gathered in one round trip", () => {
  it("knows which systemd unit holds each listening port, whatever the process is called", () => {
    const ports = parseFacts(sample, NONCE).listening;
    expect(ports.find((p) => p.port === 8500)).toEqual({
      proto: "tcp",
      port: 8500,
      processes: ["consul"],
      units: ["consul.service"],
    });
    expect(ports.find((p) => p.port === 4646)).toEqual({
      proto: "tcp",
      port: 4646,
      processes: ["MainThread"],
      units: ["nomad.service"],
    });
    expect(
      ports
        .filter((p) => p.port === 8301)
        .map((p) => p.proto)
        .sort(),
    ).toEqual(["tcp", "udp"]);
  });

  it("reads paths with mode, owner, group, sha256 and whether the sha256 came from np's cache", () => {
    const s = parseHostState(sample, NONCE);
    expect(s.paths.get("/etc/consul.d")).toEqual({
      kind: "dir",
      mode: "0750",
      owner: "root",
      group: "consul",
    });
    expect(s.paths.get("/etc/consul.d/consul.hcl")).toMatchObject({
      kind: "file",
      mode: "0640",
      owner: "root",
      group: "consul",
      shaCached: false,
    });
    expect(s.paths.get("/usr/local/bin/consul")).toEqual({
      kind: "file",
      mode: "0755",
      owner: "root",
      group: "root",
      sha256: "a449efb10a03df3cb9310f3a54d933ccda7c4faba4f421f183fc90a82056798e",
      shaCached: true,
    });
    expect(s.paths.get("/etc/np-missing")).toEqual({ kind: "none" });
  });

  it("reads units, the consul user and pending restarts", () => {
    const s = parseHostState(sample, NONCE);
    expect(s.units.get("consul")).toEqual({
      loaded: true,
      active: "active",
      mainPid: 197,
      enabled: true,
      needsDaemonReload: false,
    });
    expect(s.units.get("nomad")).toEqual({
      loaded: true,
      active: "active",
      mainPid: 208,
      enabled: true,
      needsDaemonReload: false,
    });
    expect(s.consulUser).toBe(true);
    expect(s.pendingRestarts).toEqual(new Set());
    const pending = sample.replace(`--pending ${NONCE}\n`, `--pending ${NONCE}\nnomad\n`);
    expect(parseHostState(pending, NONCE).pendingRestarts).toEqual(new Set(["nomad"]));
  });

  it("refuses output that was cut short", () => {
    expect(() => parseHostState(sample.slice(0, sample.indexOf("--done")), NONCE)).toThrow(/did not finish/);
  });
});
