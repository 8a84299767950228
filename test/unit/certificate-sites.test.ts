import { describe, expect, it } from "vitest";
import { certificateSitesOf } from "../../src/rotate/registry.js";
import { cluster, desiredFiles, hostOf } from "./render-fixtures.js";

describe("the certificate files np reads back and renews, per host", () => {
  const inv = cluster();
  const sites = (name: string) => {
    const h = hostOf(inv, name);
    const files = desiredFiles(inv, h);
    return {
      all: certificateSitesOf(inv, h, () => true),
      files,
    };
  };

  it("every site is a file np writes on that host, read by the unit that reloads or restarts for it", () => {
    for (const h of inv.hosts) {
      const { all, files } = sites(h.name);
      for (const s of all) {
        const f = files.find((x) => x.path === s.path);
        expect(f, `${h.name}: ${s.path}`).toBeDefined();
        expect([...(f?.reloads ?? []), ...(f?.restarts ?? [])], `${h.name}: ${s.path}`).toContain(s.unit);
      }
    }
  });

  it("a server has Consul's and Nomad's CA and leaf; a client also np-agent's client certificate for Nomad", () => {
    const server = inv.hosts.find((h) => h.roles.includes("server") && !h.roles.includes("client"));
    const client = inv.hosts.find((h) => h.roles.includes("client") && !h.roles.includes("server"));
    if (!server || !client) throw new Error("the fixture cluster has a server-only and a client-only host");
    expect(sites(server.name).all.map((s) => s.path)).toEqual([
      "/etc/consul.d/tls/ca.pem",
      "/etc/consul.d/tls/server.pem",
      "/etc/nomad.d/tls/ca.pem",
      "/etc/nomad.d/tls/agent.pem",
    ]);
    expect(sites(client.name).all.map((s) => s.path)).toEqual([
      "/etc/consul.d/tls/ca.pem",
      "/etc/nomad.d/tls/ca.pem",
      "/etc/nomad.d/tls/agent.pem",
      "/etc/np-agent/nomad-ca.pem",
      "/etc/np-agent/nomad-client.pem",
    ]);
  });
});
