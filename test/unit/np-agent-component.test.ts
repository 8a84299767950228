import { describe, expect, it } from "vitest";
import { decodeSummaries, judgeReports } from "../../src/cluster/nodes.js";
import { desiredHost } from "../../src/components/index.js";
import { agentConfig, NP_AGENT } from "../../src/components/np-agent/index.js";
import { Secret, type SecretValues } from "../../src/secrets/index.js";
import { cluster, hostOf, SECRETS } from "./render-fixtures.js";

const withoutPasscode: SecretValues = {
  get: (n) => SECRETS.get(n),
  find: (n) => (n === "openobserve-ingest-passcode" ? undefined : SECRETS.find(n)),
};
const withPasscode: SecretValues = {
  get: (n) => SECRETS.get(n),
  find: (n) => (n === "openobserve-ingest-passcode" ? new Secret("Pc0de1234567890ab") : SECRETS.find(n)),
};

describe("np-agent on every host", () => {
  it("runs everywhere, on np's Node.js runtime, with the bundle np ships", () => {
    const inv = cluster();
    for (const h of inv.hosts) {
      const d = desiredHost(inv, h, SECRETS);
      expect(d.components.at(-1)?.name, h.name).toBe("np-agent");
      expect(d.binaries.find((b) => b.component.name === "np-agent")).toMatchObject({
        path: "/usr/local/lib/np/node",
        product: "node",
        version: "24.22.3",
      });
      const bundle = d.files.find((f) => f.path === NP_AGENT.bundle);
      expect(bundle?.content.length).toBeGreaterThan(10_000);
      expect(d.users.find((u) => u.name === "np-agent")?.groups).toEqual(["systemd-journal"]);
    }
  });

  it("reports the units of the host's own components, and the versions it has", () => {
    const inv = cluster();
    const edge = agentConfig(inv, hostOf(inv, "client-2"), withPasscode, [
      "consul",
      "nomad",
      "traefik",
      "np-agent",
    ]);
    expect(edge).toMatchObject({
      node: "client-2",
      listen: { address: "10.213.8.22", port: 9190 },
      consul: { address: "http://127.0.0.1:8500" },
      nomad: { address: "https://10.213.8.22:4646", dataDir: "/var/lib/nomad" },
      units: ["consul", "nomad", "traefik", "np-agent"],
      disks: ["/", "/var/lib/nomad"],
    });
    expect(Object.keys(edge.versions as object).sort()).toEqual([
      "consul",
      "node",
      "nomad",
      "np-agent",
      "traefik",
    ]);
    const units = desiredHost(inv, hostOf(inv, "observe-1"), SECRETS).files.find(
      (f) => f.path === NP_AGENT.config,
    );
    expect(JSON.parse(units?.content ?? "{}").units).toEqual(["consul", "openobserve", "np-agent"]);
    expect(agentConfig(inv, hostOf(inv, "edge-1"), withPasscode, []).nomad).toBeNull();
  });

  it("ships nowhere until the ingest passcode exists; then its config holds it and is secret", () => {
    const inv = cluster();
    const host = hostOf(inv, "server-1");
    const before = desiredHost(inv, host, withoutPasscode).files.find((f) => f.path === NP_AGENT.config);
    expect(JSON.parse(before?.content ?? "{}").openobserve).toBeNull();
    // Its Consul token makes it secret from the start.
    expect(JSON.parse(before?.content ?? "{}").consul.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(before?.secret).toBe(true);
    const after = desiredHost(inv, host, withPasscode).files.find((f) => f.path === NP_AGENT.config);
    expect(JSON.parse(after?.content ?? "{}").openobserve).toEqual({
      url: "http://10.213.8.41:5080",
      org: "default",
      user: "np-agent@np.local",
      password: "Pc0de1234567890ab",
    });
    expect(after?.secret).toBe(true);
    expect([after?.mode, after?.owner, after?.group]).toEqual(["0640", "root", "np-agent"]);
  });
});

describe("np nodes", () => {
  const inv = cluster();
  const summary = (node: string, reportedAt: string) => ({
    node,
    roles: [],
    state: "ok",
    problems: [],
    cpuCount: 2,
    cpuPercent: 1,
    load: [0, 0, 0],
    memory: null,
    disk: null,
    allocations: 0,
    units: { up: 1, down: 0, downNames: [] },
    versions: {},
    reportedAt,
    intervalSec: 10,
  });
  const kv = (value: unknown) => ({
    Key: "np/nodes/x",
    Value: Buffer.from(JSON.stringify(value)).toString("base64"),
  });

  it("decodes the agents' KV summaries, skipping values that are not one", () => {
    const entries = [
      kv(summary("server-1", "2026-12-01T00:00:00Z")),
      { Key: "np/nodes/y", Value: null },
      kv({ a: 1 }),
    ];
    expect(
      decodeSummaries([...entries, { Key: "z", Value: Buffer.from("junk").toString("base64") }]),
    ).toHaveLength(1);
  });

  it("calls a report fresh within 3 intervals, stale after, and missing when there is none", () => {
    const now = Date.parse("2026-12-01T00:01:00Z");
    const reports = judgeReports(
      inv,
      [summary("server-1", "2026-12-01T00:00:45Z"), summary("server-2", "2026-12-01T00:00:20Z")],
      now,
    );
    const by = Object.fromEntries(reports.map((r) => [r.name, [r.agent, r.ageSec]]));
    expect(by["server-1"]).toEqual(["fresh", 15]);
    expect(by["server-2"]).toEqual(["stale", 40]);
    expect(by["server-3"]).toEqual(["missing", null]);
    expect(reports.map((r) => r.name)).toEqual(inv.hosts.map((h) => h.name));
  });
});
