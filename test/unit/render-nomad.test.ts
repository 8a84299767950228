import { describe, expect, it } from "vitest";
import {
  block,
  cluster,
  desiredFiles,
  host,
  hostOf,
  inventory,
  keys,
  parseHcl,
  SECRET_VALUES,
  SECRETS,
  SERVER_ADDRESSES,
} from "./render-fixtures.js";

function nomadConfig(inv = cluster(), name = "server-1"): string | undefined {
  return desiredFiles(inv, hostOf(inv, name), SECRETS).find((f) => f.path === "/etc/nomad.d/nomad.hcl")
    ?.content;
}

async function parsedNomad(inv = cluster(), name = "server-1") {
  const text = nomadConfig(inv, name);
  if (text === undefined) throw new Error(`no nomad.hcl on ${name}`);
  return parseHcl(text, "nomad.hcl");
}

const TOP = ["acl", "advertise", "bind_addr", "consul", "data_dir", "datacenter", "name", "region", "tls"];

describe("nomad.hcl", () => {
  it("on a server: exactly the contract's keys, no client block", async () => {
    const c = await parsedNomad();
    expect(keys(c)).toEqual([...TOP, "autopilot", "server"].sort());
    expect(c).toMatchObject({
      region: "global",
      datacenter: "dc1",
      name: "server-1",
      data_dir: "/var/lib/nomad",
      bind_addr: "10.213.8.11",
    });
    expect(block(c, "advertise")).toEqual({ http: "10.213.8.11", rpc: "10.213.8.11", serf: "10.213.8.11" });
    const server = block(c, "server");
    expect(keys(server)).toEqual(["bootstrap_expect", "enabled", "encrypt", "server_join"]);
    expect(server).toMatchObject({
      enabled: true,
      bootstrap_expect: 3,
      encrypt: SECRET_VALUES["nomad-gossip"],
    });
    expect(block(server, "server_join")).toEqual({ retry_join: SERVER_ADDRESSES });
    expect(block(c, "autopilot")).toEqual({ cleanup_dead_servers: true });
    expect(block(c, "consul")).toEqual({
      address: "127.0.0.1:8500",
      token: SECRETS.get("consul-nomad-server").reveal(),
    });
  });

  it("on a client: the client block lists every server; node_class and meta only when set", async () => {
    const withBoth = await parsedNomad(cluster(), "client-1");
    expect(keys(withBoth)).toEqual([...TOP, "client"].sort());
    expect(block(withBoth, "client")).toEqual({
      enabled: true,
      servers: SERVER_ADDRESSES,
      node_class: "web",
      meta: { rack: "r1", "zone.id": "z-1" },
    });
    const plain = await parsedNomad(cluster(), "client-2");
    expect(block(plain, "client")).toEqual({ enabled: true, servers: SERVER_ADDRESSES });
    expect(nomadConfig(cluster(), "client-2")).not.toMatch(/node_class|meta/);

    const classOnly = inventory([host("s", 1, ["server"]), host("c", 2, ["client"], { nodeClass: "batch" })]);
    expect(block(await parsedNomad(classOnly, "c"), "client")).toEqual({
      enabled: true,
      servers: ["10.213.8.1"],
      node_class: "batch",
    });
  });

  it("a server that is also a client has both blocks; the gossip key only in the server block", async () => {
    const inv = inventory([1, 2, 3].map((i) => host(`n${i}`, i, ["server", "client"])));
    const c = await parsedNomad(inv, "n2");
    expect(keys(c)).toEqual([...TOP, "autopilot", "client", "server"].sort());
    expect(block(c, "server")).toMatchObject({ bootstrap_expect: 3, encrypt: SECRET_VALUES["nomad-gossip"] });
    expect(block(c, "client")).toEqual({
      enabled: true,
      servers: ["10.213.8.1", "10.213.8.2", "10.213.8.3"],
    });
    expect(nomadConfig(cluster(), "client-1")).not.toContain(SECRET_VALUES["nomad-gossip"]);
  });

  it("single-server cluster: bootstrap_expect 1", async () => {
    const inv = inventory([host("solo", 1, ["server", "client", "edge", "observe"])], { singleServer: true });
    const server = block(await parsedNomad(inv, "solo"), "server");
    expect(server.bootstrap_expect).toBe(1);
    expect(block(server, "server_join")).toEqual({ retry_join: ["10.213.8.1"] });
  });

  it("no Nomad on edge-only and observe-only hosts", () => {
    expect(nomadConfig(cluster(), "edge-1")).toBeUndefined();
    expect(nomadConfig(cluster(), "observe-1")).toBeUndefined();
  });

  it("meta is written in key order, so the bytes do not depend on the inventory's order", () => {
    const a = inventory([host("s", 1, ["server"]), host("c", 2, ["client"], { meta: { b: "2", a: "1" } })]);
    const b = inventory([host("s", 1, ["server"]), host("c", 2, ["client"], { meta: { a: "1", b: "2" } })]);
    expect(nomadConfig(a, "c")).toBe(nomadConfig(b, "c"));
    expect(nomadConfig(a, "c")?.indexOf('"a"')).toBeLessThan(nomadConfig(a, "c")?.indexOf('"b"') ?? -1);
  });
});
