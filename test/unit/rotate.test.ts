import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type KeyringPool, onlyKeyEverywhere } from "../../src/api/keyring.js";
import type { Output } from "../../src/output/port.js";
import type { DesiredFile } from "../../src/render/index.js";
import { withoutEffect, withValues } from "../../src/rotate/pass.js";
import { RotationReport } from "../../src/rotate/report.js";
import { RotationStore } from "../../src/rotate/store.js";
import { Secret, type SecretSpec, type SecretValues } from "../../src/secrets/index.js";
import { runNp } from "../helpers/run-np.js";

const GOSSIP: SecretSpec = { name: "consul-gossip", valid: (v) => v.length > 0, describe: "a key" };
const stateDir = () => mkdtempSync(path.join(os.tmpdir(), "np-rotate-"));

describe("the rotation store in .np/secrets", () => {
  it("keeps the new value before it is used, then swaps it in with the old kept until it is forgotten", async () => {
    const dir = stateDir();
    const store = new RotationStore(dir);
    mkdirSync(store.dir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(store.dir, "consul-gossip"), "OLD\n", { mode: 0o600 });
    expect(await store.underWay()).toEqual({ rotating: [], retiring: [] });
    await store.saveNext("consul-gossip", "NEW");
    expect(await store.next("consul-gossip")).toBe("NEW");
    expect(await store.current("consul-gossip")).toBe("OLD");
    expect(await store.underWay()).toEqual({ rotating: ["consul-gossip"], retiring: [] });
    expect(statSync(path.join(store.dir, "rotating", "consul-gossip")).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(store.dir, "rotating")).mode & 0o777).toBe(0o700);
    await store.promote(GOSSIP, "NEW");
    expect(await store.current("consul-gossip")).toBe("NEW");
    expect(await store.retiring("consul-gossip")).toBe("OLD");
    expect(await store.next("consul-gossip")).toBeUndefined();
    expect(await store.underWay()).toEqual({ rotating: [], retiring: ["consul-gossip"] });
    // A second promote (a resumed run) keeps the old value as the retiring one, not the new.
    await store.promote(GOSSIP, "NEW");
    expect(await store.retiring("consul-gossip")).toBe("OLD");
    await store.forget("consul-gossip");
    expect(await store.underWay()).toEqual({ rotating: [], retiring: [] });
    expect(await store.current("consul-gossip")).toBe("NEW");
  });

  it("moves np's old gossip.json keys into their own files before a rotated key takes its place", async () => {
    const dir = stateDir();
    const store = new RotationStore(dir);
    mkdirSync(store.dir, { recursive: true, mode: 0o700 });
    const legacy = path.join(store.dir, "gossip.json");
    writeFileSync(legacy, JSON.stringify({ consulGossipKey: "C-OLD", nomadGossipKey: "N-OLD" }), {
      mode: 0o600,
    });
    await store.promote(GOSSIP, "C-NEW");
    expect(existsSync(legacy)).toBe(false);
    expect(readFileSync(path.join(store.dir, "nomad-gossip"), "utf8")).toBe("N-OLD\n");
    expect(await store.current("consul-gossip")).toBe("C-NEW");
    expect(await store.retiring("consul-gossip")).toBe("C-OLD");
  });
});

describe("a rotation's convergence pass", () => {
  const file = (over: Partial<DesiredFile> = {}): DesiredFile =>
    ({
      path: "/etc/consul.d/consul.hcl",
      content: "x",
      mode: "0640",
      owner: "root",
      group: "consul",
      restarts: ["consul", "nomad"],
      reloads: ["np-agent"],
      ...over,
    }) as DesiredFile;

  it("writes a file only the gossip key changed without restarting or reloading anything", () => {
    const f = withoutEffect(file());
    expect([f.restarts, f.reloads]).toEqual([[], []]);
    expect(f).toMatchObject({
      path: "/etc/consul.d/consul.hcl",
      content: "x",
      mode: "0640",
      group: "consul",
    });
  });

  it("renders with some secrets as they were before the rotation", () => {
    const base: SecretValues = {
      get: (n) => new Secret(`now-${n}`),
      find: (n) => (n === "absent" ? undefined : new Secret(`now-${n}`)),
    };
    const old = withValues(base, new Map([["consul-gossip", "before"]]));
    expect(old.get("consul-gossip").reveal()).toBe("before");
    expect(old.find("consul-gossip")?.reveal()).toBe("before");
    expect(old.get("other").reveal()).toBe("now-other");
    expect(old.find("absent")).toBeUndefined();
  });
});

describe("keyrings and reports", () => {
  const pool = (keys: Record<string, number>, members: number, name = "dc1 (LAN)"): KeyringPool => ({
    pool: name,
    keys,
    members,
  });

  it("a rotation is finished when every pool holds the new key alone, on every member", () => {
    expect(onlyKeyEverywhere([pool({ K: 4 }, 4), pool({ K: 3 }, 3, "WAN")], "K")).toBe(true);
    expect(onlyKeyEverywhere([pool({ K: 4, OLD: 4 }, 4)], "K")).toBe(false);
    expect(onlyKeyEverywhere([pool({ K: 3 }, 4)], "K")).toBe(false);
    expect(onlyKeyEverywhere([pool({ OLD: 4 }, 4)], "K")).toBe(false);
    expect(onlyKeyEverywhere([pool({}, 0)], "K")).toBe(false);
    expect(onlyKeyEverywhere([], "K")).toBe(false);
  });

  it("says each step with its host as it happens, and sums up per host in inventory order", () => {
    const lines: string[] = [];
    const out = { host: (h: string, m: string) => lines.push(`${h}: ${m}`) } as unknown as Output;
    const r = new RotationReport(out);
    r.cluster("node1", "installed the new key");
    r.host("node2", "gossip key replaced");
    r.host("node1", "gossip key replaced");
    r.host("node1", "gossip key replaced");
    expect(lines).toEqual(["node1: installed the new key"]);
    expect(r.steps).toEqual([{ host: "node1", message: "installed the new key" }]);
    expect(r.summary(["node1", "node2", "node3"])).toEqual([
      "node1: gossip key replaced",
      "node2: gossip key replaced",
    ]);
  });
});

describe("np rotate on the command line", () => {
  it("names what it rotates, and refuses anything else with exit 2 before reading the inventory", () => {
    const help = runNp(["rotate", "--help"]);
    expect(help.code).toBe(0);
    for (const what of ["gossip", "ca", "tokens"])
      expect(help.stdout).toMatch(new RegExp(`^  ${what} `, "m"));
    const r = runNp(["rotate", "passwords", "-i", "/nonexistent/inventory.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected one of gossip, ca, tokens");
    expect(r.stderr).not.toContain("inventory file not found");
    expect(runNp(["rotate", "gossip", "--quorum-timeout", "0", "-i", "/nonexistent/x.yaml"]).code).toBe(2);
  });

  it("on a missing inventory: exit 2, nothing rotated", () => {
    const r = runNp(["rotate", "gossip", "-i", "/nonexistent/inventory.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("/nonexistent/inventory.yaml");
  });
});
