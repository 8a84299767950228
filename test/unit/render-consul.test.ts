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
  "acl",
  "advertise_addr",
  "auto_encrypt",
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
/** TLS as Consul 1.8 spells it (top-level keys, which 1.12+ still reads); servers add their certificate. */
const TLS_COMMON = ["ca_file", "verify_incoming_https", "verify_outgoing", "verify_server_hostname"];
const TLS_SERVER = ["cert_file", "key_file", "verify_incoming_rpc"];
const SERVER_ONLY = ["autopilot", "bootstrap_expect", "connect", "ports", "server", ...TLS_SERVER];

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
    expect(keys(c)).toEqual([...COMMON, ...TLS_COMMON, ...SERVER_ONLY, "ui"].sort());
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
      expect(keys(c), name).toEqual([...COMMON, ...TLS_COMMON].sort());
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
    for (const v of ["1.9.0", "1.10.0", "1.11.9"]) {
      const c = await parseHcl(consulConfig(cluster({ consul: v })));
      expect(keys(c), v).toEqual([...COMMON, ...TLS_COMMON, ...SERVER_ONLY, "ui_config"].sort());
      expect(block(c, "ui_config"), v).toEqual({ enabled: true });
    }
    const old = await parseHcl(consulConfig(cluster({ consul: "1.8.19" })));
    expect(old.ui).toBe(true);
    expect(old.ui_config).toBeUndefined();
  });

  it("TLS on RPC: servers verify incoming RPC and present their certificate; everyone checks server names", async () => {
    const server = await parseHcl(consulConfig());
    expect(server).toMatchObject({
      ca_file: "/etc/consul.d/tls/ca.pem",
      cert_file: "/etc/consul.d/tls/server.pem",
      key_file: "/etc/consul.d/tls/server-key.pem",
      verify_incoming_rpc: true,
      verify_incoming_https: false,
      verify_outgoing: true,
      verify_server_hostname: true,
    });
    expect(block(server, "auto_encrypt")).toEqual({ allow_tls: true });
    expect(block(server, "ports")).toEqual({ https: 8501 });
    expect(block(server, "connect")).toEqual({ enabled: true });
    const client = await parseHcl(consulConfig(cluster(), "client-1"));
    expect(block(client, "auto_encrypt")).toEqual({ tls: true });
    expect(client).toMatchObject({ verify_outgoing: true, verify_server_hostname: true });
    expect(client.cert_file).toBeUndefined();
    expect(client.verify_incoming_rpc).toBeUndefined();
  });

  it("ACLs deny by default; each agent holds its own token", async () => {
    for (const name of ["server-1", "client-1", "edge-1"]) {
      const acl = block(await parseHcl(consulConfig(cluster(), name)), "acl");
      expect(acl, name).toEqual({
        enabled: true,
        default_policy: "deny",
        enable_token_persistence: true,
        tokens: [{ agent: SECRETS.get(`consul-agent-${name}`).reveal() }],
      });
    }
    expect(SECRETS.get("consul-agent-server-1").reveal()).not.toBe(
      SECRETS.get("consul-agent-client-1").reveal(),
    );
  });

  it("Consul 1.12 and later get the tls stanza (1.8 rejects it); the same settings, the same files", async () => {
    for (const v of ["1.12.0", "1.21.0"]) {
      const c = await parseHcl(consulConfig(cluster({ consul: v })));
      expect(keys(c), v).toEqual(
        [...COMMON, "autopilot", "bootstrap_expect", "connect", "ports", "server", "tls", "ui_config"].sort(),
      );
      const tls = block(c, "tls");
      expect(tls, v).toEqual({
        defaults: [
          {
            ca_file: "/etc/consul.d/tls/ca.pem",
            cert_file: "/etc/consul.d/tls/server.pem",
            key_file: "/etc/consul.d/tls/server-key.pem",
            verify_outgoing: true,
          },
        ],
        internal_rpc: [{ verify_incoming: true, verify_server_hostname: true }],
        https: [{ verify_incoming: false }],
      });
      const client = block(await parseHcl(consulConfig(cluster({ consul: v }), "client-1")), "tls");
      expect(client.internal_rpc).toEqual([{ verify_server_hostname: true }]);
      expect(client.defaults).toEqual([{ ca_file: "/etc/consul.d/tls/ca.pem", verify_outgoing: true }]);
    }
    expect(consulConfig(cluster({ consul: "1.11.9" }))).not.toMatch(/^tls \{/m);
  });

  it("is the same bytes for the same input", () => {
    expect(consulConfig(cluster(), "client-1")).toBe(consulConfig(cluster(), "client-1"));
    expect(consulConfig(cluster(), "server-2")).toBe(consulConfig(cluster(), "server-2"));
  });
});
