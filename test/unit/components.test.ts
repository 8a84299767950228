import { describe, expect, it } from "vitest";
import { artifactRequests } from "../../src/cluster/phases/fetch-artifacts.js";
import { COMPONENTS, componentsOf, desiredHost, portsOf, secretsFor } from "../../src/components/index.js";
import { cluster, host, hostOf, inventory, SECRETS } from "./render-fixtures.js";

describe("the component list", () => {
  it("runs Consul everywhere and Nomad on servers and clients, in start order", () => {
    const inv = cluster();
    expect(COMPONENTS.map((c) => c.name)).toEqual(["consul", "nomad", "traefik", "openobserve", "np-agent"]);
    expect(componentsOf(hostOf(inv, "server-1")).map((c) => c.name)).toEqual(["consul", "nomad", "np-agent"]);
    expect(componentsOf(hostOf(inv, "client-2")).map((c) => c.name)).toEqual([
      "consul",
      "nomad",
      "traefik",
      "np-agent",
    ]);
    expect(componentsOf(hostOf(inv, "edge-1")).map((c) => c.name)).toEqual(["consul", "traefik", "np-agent"]);
    expect(componentsOf(hostOf(inv, "observe-1")).map((c) => c.name)).toEqual([
      "consul",
      "openobserve",
      "np-agent",
    ]);
  });

  it("derives each host's ports from its components (what preflight checks)", () => {
    const inv = cluster();
    const ports = (name: string) => portsOf(hostOf(inv, name)).map((p) => `${p.port}/${p.proto}`);
    expect(ports("server-1")).toEqual([
      "4646/tcp",
      "4647/tcp",
      "4648/tcp",
      "4648/udp",
      "8300/tcp",
      "8301/tcp",
      "8301/udp",
      "8302/tcp",
      "8302/udp",
      "8500/tcp",
      // Consul's HTTPS API (loopback), on servers only: np's tunnels use it.
      "8501/tcp",
      "8600/tcp",
      "8600/udp",
      "9190/tcp",
    ]);
    expect(ports("client-1")).toEqual([
      "4646/tcp",
      "8301/tcp",
      "8301/udp",
      "8500/tcp",
      "8600/tcp",
      "8600/udp",
      "9190/tcp",
    ]);
    expect(ports("edge-1")).toEqual([
      "80/tcp",
      "443/tcp",
      "8082/tcp",
      "8301/tcp",
      "8301/udp",
      "8500/tcp",
      "8600/tcp",
      "8600/udp",
      "9190/tcp",
    ]);
    expect(ports("observe-1")).toContain("5080/tcp");
  });

  it("asks only for the secrets of components the inventory runs", () => {
    expect(secretsFor(cluster()).map((s) => s.name)).toEqual([
      "consul-gossip",
      "nomad-gossip",
      "traefik-dashboard",
      "openobserve-root",
      "openobserve-agent",
      "openobserve-ingest-passcode",
    ]);
    const noNomad = inventory([host("s", 1, ["edge"])]);
    expect(secretsFor(noNomad).map((s) => s.name)).toEqual([
      "consul-gossip",
      "traefik-dashboard",
      "openobserve-agent",
      "openobserve-ingest-passcode",
    ]);
  });

  it("the secret flag of a file comes from the data it was rendered with", () => {
    const inv = cluster();
    const flags = (name: string) =>
      Object.fromEntries(desiredHost(inv, hostOf(inv, name), SECRETS).files.map((f) => [f.path, f.secret]));
    expect(flags("server-1")).toEqual({
      "/etc/consul.d/consul.hcl": true,
      // Certificates are public; the server's key is not.
      "/etc/consul.d/tls/ca.pem": false,
      "/etc/consul.d/tls/server.pem": false,
      "/etc/consul.d/tls/server-key.pem": true,
      "/etc/systemd/system/consul.service": false,
      "/etc/nomad.d/nomad.hcl": true,
      "/etc/nomad.d/tls/ca.pem": false,
      "/etc/nomad.d/tls/agent.pem": false,
      "/etc/nomad.d/tls/agent-key.pem": true,
      "/etc/systemd/system/nomad.service": false,
      "/usr/local/lib/np/np-agent.mjs": false,
      // The fixture has the ingest passcode: the agent's config holds it.
      "/etc/np-agent/config.json": true,
      "/etc/systemd/system/np-agent.service": false,
    });
    // A client's nomad.hcl has no gossip key, but its Consul token: secret too.
    expect(flags("client-1")["/etc/nomad.d/nomad.hcl"]).toBe(true);
    // Every file that holds a Consul token is secret: Traefik's static config and service definition.
    expect(flags("edge-1")).toMatchObject({
      "/etc/traefik/traefik.yaml": true,
      "/etc/consul.d/traefik.json": true,
      "/etc/consul.d/tls/ca.pem": false,
    });
    expect(flags("edge-1")["/etc/consul.d/tls/server-key.pem"]).toBeUndefined();
  });

  it("units carry np's marker, so np recognises the ports its own units hold", () => {
    const inv = cluster();
    for (const f of desiredHost(inv, hostOf(inv, "server-1"), SECRETS).files.filter((x) =>
      x.path.endsWith(".service"),
    ))
      expect(f.content).toMatch(/^X-Np-Component=(consul|nomad|np-agent)$/m);
  });
});

describe("artifact requests", () => {
  it("are every component's binaries, one per product, version and arch", () => {
    const inv = cluster();
    const arch = (name: string) => (name === "client-1" ? "arm64" : "amd64");
    const reqs = artifactRequests(inv, arch).map((r) => `${r.product} ${r.version} ${r.arch}`);
    expect(reqs.sort()).toEqual(
      [
        "consul 1.8.7 amd64",
        "consul 1.8.7 arm64",
        "nomad 1.10.5 amd64",
        "nomad 1.10.5 arm64",
        "node 24.22.3 amd64",
        "node 24.22.3 arm64",
        "traefik 3.7.9 amd64",
        "openobserve 0.14.7 amd64",
      ].sort(),
    );
  });
});
