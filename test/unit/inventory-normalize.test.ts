import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_VERSIONS, describeInventory, parseInventory, ROLES } from "../../src/inventory/index.js";

const repo = path.resolve(import.meta.dirname, "../..");
const examplePath = path.join(repo, "inventory.example.yaml");
const HOME = "/home/op";

const withHosts = (top: string, hostSsh = "") => `cluster:
  name: demo
  single_server: true
${top}
hosts:
  - name: node1
    address: 10.0.0.1
    roles: [server, client, edge, observe]
${hostSsh}
`;

describe("inventory.example.yaml", () => {
  const text = readFileSync(examplePath, "utf8");

  it("starts with the yaml-language-server schema line", () => {
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./inventory.schema.json");
  });

  it("is valid: 5 hosts, 3 servers, one edge, one observe, and no warnings", () => {
    const { inventory, warnings } = parseInventory(text, examplePath, {});
    expect(warnings).toEqual([]);
    expect(describeInventory(inventory)).toBe("5 hosts: 3 servers, 3 clients, 1 edge, 1 observe");
    expect(inventory.file).toBe(examplePath);
    expect(inventory.dir).toBe(repo);
  });

  it("fits every node in 2 CPUs (observe 1, server 0.5, client 0.5, edge 0.25, plus Consul 0.25)", () => {
    const cpu = { server: 0.5, client: 0.5, edge: 0.25, observe: 1 } as const;
    const { inventory } = parseInventory(text, examplePath, {});
    for (const host of inventory.hosts) {
      const sum = 0.25 + host.roles.reduce((s, r) => s + cpu[r], 0);
      expect(sum, host.name).toBeLessThanOrEqual(2);
    }
  });

  it("documents every key of the schema (each appears in the file, set or commented)", () => {
    const keys = [
      ...["name", "datacenter", "region", "single_server", "user", "port", "key", "passphrase_env"],
      ...[
        "connect_timeout",
        "bastion",
        "host",
        "address",
        "private_address",
        "roles",
        "node_class",
        "labels",
      ],
      ...["meta", "ssh", "nomad", "consul", "traefik", "openobserve", "source", "url", "dir", "trusted_keys"],
      ...["acme_email", "dashboard_host", "root_email", "preflight", "overrides", "memory_mb", "cpu"],
    ];
    for (const key of keys) expect(text, key).toMatch(new RegExp(`\\b${key}:`));
  });
});

describe("normalized inventory", () => {
  it("applies the defaults", () => {
    const { inventory } = parseInventory(withHosts(""), "/srv/c/inventory.yaml", { HOME });
    expect(inventory.cluster).toEqual({
      name: "demo",
      datacenter: "dc1",
      region: "global",
      singleServer: true,
    });
    expect(inventory.versions).toEqual(DEFAULT_VERSIONS);
    expect(inventory.artifacts).toEqual({ source: "releases", trustedKeys: [] });
    expect(inventory.traefik).toEqual({});
    expect(inventory.openobserve).toEqual({});
    expect(inventory.preflightOverrides).toEqual({});
    expect(inventory.hosts[0]).toEqual({
      name: "node1",
      address: "10.0.0.1",
      privateAddress: "10.0.0.1",
      roles: ["server", "client", "edge", "observe"],
      labels: {},
      meta: {},
      ssh: { user: "root", port: 22, connectTimeoutSec: 10 },
    });
  });

  it("merges ssh settings key by key (host over global over defaults) and makes paths absolute", () => {
    const top = [
      "ssh:",
      "  user: deploy",
      "  key: ./keys/id_ed25519",
      "  passphrase_env: NP_SSH_PASSPHRASE",
      "  bastion: { host: 203.0.113.5 }",
    ].join("\n");
    const { inventory } = parseInventory(
      withHosts(top, "    ssh: { port: 2222, key: ~/.ssh/other, connect_timeout: 5 }"),
      "/srv/c/inventory.yaml",
      { HOME },
    );
    expect(inventory.hosts[0]?.ssh).toEqual({
      user: "deploy",
      port: 2222,
      key: "/home/op/.ssh/other",
      passphraseEnv: "NP_SSH_PASSPHRASE",
      connectTimeoutSec: 5,
      // The global bastion keeps the global defaults: user and key of the global ssh section, port 22.
      bastion: { host: "203.0.113.5", user: "deploy", port: 22, key: "/srv/c/keys/id_ed25519" },
    });
  });

  it("gives a host's own bastion the host's merged user and key", () => {
    const host = "    ssh:\n      user: admin\n      bastion: { host: 198.51.100.1, port: 2200 }";
    const { inventory } = parseInventory(withHosts("", host), "/srv/c/inventory.yaml", { HOME });
    expect(inventory.hosts[0]?.ssh.bastion).toEqual({ host: "198.51.100.1", user: "admin", port: 2200 });
  });

  it("resolves artifact paths against the inventory's folder and keeps the sections it was given", () => {
    const top = [
      "artifacts:",
      "  source: dir",
      "  dir: ./artifacts",
      "  trusted_keys: [./extra.asc, ~/keys/k.asc, /etc/np/k.asc]",
      "versions: { nomad: 1.9.7 }",
      "traefik: { acme_email: ops@example.com, dashboard_host: traefik.example.com }",
      "openobserve: { root_email: admin@example.com }",
    ].join("\n");
    const { inventory } = parseInventory(withHosts(top), "rel/inventory.yaml", { HOME });
    const dir = path.resolve("rel");
    expect(inventory.file).toBe(path.join(dir, "inventory.yaml"));
    expect(inventory.artifacts).toEqual({
      source: "dir",
      dir: path.join(dir, "artifacts"),
      trustedKeys: [path.join(dir, "extra.asc"), "/home/op/keys/k.asc", "/etc/np/k.asc"],
    });
    expect(inventory.versions).toEqual({ ...DEFAULT_VERSIONS, nomad: "1.9.7" });
    expect(inventory.traefik).toEqual({ acmeEmail: "ops@example.com", dashboardHost: "traefik.example.com" });
    expect(inventory.openobserve).toEqual({ rootEmail: "admin@example.com" });
  });

  it("returns a warning for each preflight override in use", () => {
    const top = "preflight:\n  overrides:\n    node1: { memory_mb: 128, cpu: 0.5 }";
    const { inventory, warnings } = parseInventory(withHosts(top), "inv.yaml", {});
    expect(inventory.preflightOverrides).toEqual({ node1: { memoryMb: 128, cpu: 0.5 } });
    expect(warnings).toEqual([
      "preflight.overrides.node1: minimums overridden (memory_mb 128, cpu 0.5); preflight will use these instead of the role minimums",
    ]);
  });

  it("exports the roles in order", () => {
    expect(ROLES).toEqual(["server", "client", "edge", "observe"]);
  });
});
