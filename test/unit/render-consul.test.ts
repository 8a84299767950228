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

const COMMON = [
  "advertise_addr",
  "bind_addr",
  "client_addr",
  "data_dir",
  "datacenter",
  "encrypt",
  "leave_on_terminate",
  "log_level",
  "node_name",
  "retry_join",
];
const SERVER_ONLY = ["autopilot", "bootstrap_expect", "server"];

function consulConfig(inv = cluster(), name = "server-1"): string {
  const file = desiredFiles(inv, hostOf(inv, name), SECRETS).find(
    (f) => f.path === "/etc/consul.d/consul.hcl",
  );
  if (!file) throw new Error("no consul.hcl");
  return file.content;
}

describe("consul.hcl", () => {
  it("on a server: exactly the contract's keys, with the host's values", async () => {
    const c = await parseHcl(consulConfig());
    expect(keys(c)).toEqual([...COMMON, ...SERVER_ONLY, "ui"].sort());
    expect(c).toMatchObject({
      datacenter: "dc1",
      node_name: "server-1",
      data_dir: "/var/lib/consul",
      bind_addr: "10.213.8.11",
      advertise_addr: "10.213.8.11",
      client_addr: "127.0.0.1",
      encrypt: SECRET_VALUES["consul-gossip"],
      leave_on_terminate: false,
      log_level: "INFO",
      server: true,
      bootstrap_expect: 3,
      ui: true,
    });
    expect(block(c, "autopilot")).toEqual({ cleanup_dead_servers: true });
  });

  it("on clients, edge and observe hosts: no server keys", async () => {
    for (const name of ["client-1", "client-2", "edge-1", "observe-1"]) {
      const c = await parseHcl(consulConfig(cluster(), name));
      expect(keys(c), name).toEqual(COMMON);
      expect(c.node_name).toBe(name);
    }
  });

  it("retry_join lists every server's private address, whatever the inventory order", async () => {
    for (const name of ["server-3", "client-1", "observe-1"]) {
      expect((await parseHcl(consulConfig(cluster(), name))).retry_join).toEqual(SERVER_ADDRESSES);
    }
  });

  it("bootstrap_expect is the number of servers; 1 for a single-server cluster", async () => {
    const five = inventory([1, 2, 3, 4, 5].map((i) => host(`s${i}`, i, ["server"])));
    expect((await parseHcl(consulConfig(five, "s4"))).bootstrap_expect).toBe(5);
    const single = inventory([host("solo", 1, ["server", "client", "edge", "observe"])], {
      singleServer: true,
    });
    const c = await parseHcl(consulConfig(single, "solo"));
    expect(c.bootstrap_expect).toBe(1);
    expect(c.retry_join).toEqual(["10.213.8.1"]);
  });

  it("Consul 1.8.7 gets `ui = true`; 1.9 and later (1.10 > 1.9 too) get `ui_config`", async () => {
    expect(consulConfig(cluster({ consul: "1.8.7" }))).toMatch(/^ui +?= true$/m);
    for (const v of ["1.9.0", "1.10.0", "1.12.0", "1.21.4"]) {
      const c = await parseHcl(consulConfig(cluster({ consul: v })));
      expect(keys(c), v).toEqual([...COMMON, ...SERVER_ONLY, "ui_config"].sort());
      expect(block(c, "ui_config"), v).toEqual({ enabled: true });
    }
    const old = await parseHcl(consulConfig(cluster({ consul: "1.8.19" })));
    expect(old.ui).toBe(true);
    expect(old.ui_config).toBeUndefined();
  });

  it("is the same bytes for the same input", () => {
    expect(consulConfig(cluster(), "client-1")).toBe(consulConfig(cluster(), "client-1"));
    expect(consulConfig(cluster(), "server-2")).toBe(consulConfig(cluster(), "server-2"));
  });
});
