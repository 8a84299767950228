import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseHostState, UnreadableState } from "../../src/cluster/host-state.js";
import { parseFacts } from "../../src/preflight/parse-facts.js";

// Real output of FACTS_SCRIPT + STATE_SCRIPT on a sandbox server node after `np up` (real Consul, the Nomad double
// as nomad.service), asked about: /etc/consul.d /etc/consul.d/consul.hcl /usr/local/bin/consul
// /usr/local/bin/node /etc/np-missing.
const sample = readFileSync(
  new URL("../fixtures/facts/facts-and-state.sandbox-node.txt", import.meta.url),
  "utf8",
);

const NONCE = "0d6f3b2a91c4e857";
const UNITS = ["consul", "nomad"];
/** The same capture with users listed as `name|yes|groups` (the capture predates that; the lines are real). */
const state = sample.replace("consul:x:997:997::/var/lib/consul:/usr/sbin/nologin", "consul|yes|consul");
const parse = (text = state) => parseHostState(text, NONCE, UNITS);

describe("facts and state gathered in one round trip", () => {
  it("knows which systemd unit holds each listening port, whatever the process is called", () => {
    const ports = parseFacts(sample, NONCE).listening;
    expect(ports.find((p) => p.port === 8500)).toEqual({
      proto: "tcp",
      port: 8500,
      processes: ["consul"],
      units: ["consul.service"],
      npComponents: [],
    });
    expect(ports.find((p) => p.port === 4646)).toEqual({
      proto: "tcp",
      port: 4646,
      processes: ["MainThread"],
      units: ["nomad.service"],
      npComponents: [],
    });
    expect(
      ports
        .filter((p) => p.port === 8301)
        .map((p) => p.proto)
        .sort(),
    ).toEqual(["tcp", "udp"]);
  });

  it("reads paths with mode, owner, group, sha256 and whether the sha256 came from np's cache", () => {
    const s = parse();
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
    const s = parse();
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
    expect(s.users).toEqual(new Map([["consul", ["consul"]]]));
    expect(s.pendingRestarts).toEqual(new Set());
    const pending = state.replace(`--pending ${NONCE}\n`, `--pending ${NONCE}\nnomad\n`);
    expect(parse(pending).pendingRestarts).toEqual(new Set(["nomad"]));
  });

  it("refuses output that was cut short", () => {
    expect(() => parse(state.slice(0, state.indexOf(`--done ${NONCE}`)))).toThrow(/did not finish/);
  });

  it("ignores marker lines without the run's nonce: file contents cannot forge a section", () => {
    const forged = state.replace(
      `--pending ${NONCE}\n`,
      `--pending ${NONCE}\n--users 0000000000000000\nroot|yes|root\n--pending\nconsul\n`,
    );
    const s = parse(forged);
    expect(s.users).toEqual(new Map([["consul", ["consul"]]]));
    expect(s.pendingRestarts).toEqual(
      new Set(["--users 0000000000000000", "root|yes|root", "--pending", "consul"]),
    );
  });

  it("refuses junk from systemctl instead of reporting the same changes on every run", () => {
    const junk = state.replace(
      /^MainPID=208 .*$/m,
      "MainPID=abc Id=nomad.service LoadState=loaded ActiveState=sleepy",
    );
    expect(() => parse(junk)).toThrow(UnreadableState);
    expect(() => parse(junk)).toThrow(/systemctl show nomad\.service printed something np cannot read/);
    const missing = state.replace(/^MainPID=208 .*$/m, "garbage");
    expect(() => parse(missing)).toThrow(/nothing np can read for nomad\.service/);
  });
});
