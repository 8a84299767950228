// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${" here is HCL interpolation syntax under test, not a JS template
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { desiredHost } from "../../src/components/index.js";
import { compareVersions, consulHasUiConfig, hclString, renderTemplate } from "../../src/render/index.js";
import {
  block,
  cluster,
  desiredDirs,
  desiredFiles,
  host,
  hostOf,
  inventory,
  parseHcl,
  SECRETS,
} from "./render-fixtures.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("desiredFiles", () => {
  it("gives each file the contract's path, mode, owner, restarts; configs with a key are secret", () => {
    const inv = cluster();
    // Consul's and Nomad's files (the other components have tests of their own).
    const summary = (name: string) =>
      desiredFiles(inv, hostOf(inv, name), SECRETS)
        .filter((f) => /consul|nomad/.test(f.path) && !/traefik|openobserve/.test(f.path))
        .map((f) => [f.path, f.mode, f.owner, f.group, f.restarts, f.secret]);
    // TLS files change by a reload (SIGHUP re-reads certificates), not a restart.
    const tls = [
      ["/etc/consul.d/tls/ca.pem", "0644", "root", "consul", [], false],
      ["/etc/consul.d/tls/server.pem", "0644", "root", "consul", [], false],
      ["/etc/consul.d/tls/server-key.pem", "0640", "root", "consul", [], true],
    ];
    // Nomad's too; its key is root's only (Nomad runs as root).
    const nomadTls = [
      ["/etc/nomad.d/tls/ca.pem", "0644", "root", "root", [], false],
      ["/etc/nomad.d/tls/agent.pem", "0644", "root", "root", [], false],
      ["/etc/nomad.d/tls/agent-key.pem", "0600", "root", "root", [], true],
    ];
    expect(summary("server-1")).toEqual([
      ["/etc/consul.d/consul.hcl", "0640", "root", "consul", ["consul"], true],
      ...tls,
      ["/etc/systemd/system/consul.service", "0644", "root", "root", ["consul"], false],
      ["/etc/nomad.d/nomad.hcl", "0600", "root", "root", ["nomad"], true],
      ...nomadTls,
      ["/etc/systemd/system/nomad.service", "0644", "root", "root", ["nomad"], false],
    ]);
    expect(
      desiredFiles(inv, hostOf(inv, "server-1"), SECRETS)
        .filter((f) => f.path.startsWith("/etc/nomad.d/tls/"))
        .map((f) => f.reloads),
    ).toEqual([["nomad"], ["nomad"], ["nomad"]]);
    // A client's nomad.hcl holds no gossip key (Nomad gossip is between servers) but its Consul token: 0600.
    expect(summary("client-1")[3]).toEqual([
      "/etc/nomad.d/nomad.hcl",
      "0600",
      "root",
      "root",
      ["nomad"],
      true,
    ]);
    expect(summary("edge-1")).toEqual([
      ["/etc/consul.d/consul.hcl", "0640", "root", "consul", ["consul"], true],
      // Clients get only the CA: their certificates come from the servers (auto_encrypt).
      tls[0],
      ["/etc/systemd/system/consul.service", "0644", "root", "root", ["consul"], false],
    ]);
  });

  it("is byte-identical for equal inputs built separately, on every host", () => {
    const a = cluster();
    const b = cluster();
    for (const h of a.hosts) {
      const x = desiredFiles(a, h, SECRETS).map((f) => `${f.path} ${sha(f.content)}`);
      const y = desiredFiles(b, hostOf(b, h.name), { ...SECRETS }).map((f) => `${f.path} ${sha(f.content)}`);
      expect(x, h.name).toEqual(y);
    }
  });

  it("changes when an input that matters changes", () => {
    const inv = cluster();
    const before = desiredFiles(inv, hostOf(inv, "client-1"), SECRETS);
    const moved = cluster();
    hostOf(moved, "server-3").privateAddress = "10.213.8.99";
    const after = desiredFiles(moved, hostOf(moved, "client-1"), SECRETS);
    expect(after[0]?.content).not.toBe(before[0]?.content);
    expect(after[0]?.content).toContain('"10.213.8.99"');
  });

  it("refuses an inventory without a server", () => {
    const inv = inventory([host("c", 1, ["client"])]);
    expect(() => desiredFiles(inv, hostOf(inv, "c"), SECRETS)).toThrow(/no server/);
  });
});

describe("desired directories and users", () => {
  it("Consul's folders everywhere, Nomad's only where Nomad runs", () => {
    const consul = [
      { path: "/var/lib/consul", mode: "0750", owner: "consul", group: "consul" },
      { path: "/etc/consul.d", mode: "0750", owner: "root", group: "consul" },
      { path: "/etc/consul.d/tls", mode: "0750", owner: "root", group: "consul" },
    ];
    const nomad = [
      { path: "/var/lib/nomad", mode: "0700", owner: "root", group: "root" },
      { path: "/etc/nomad.d", mode: "0700", owner: "root", group: "root" },
    ];
    const inv = cluster();
    expect(desiredDirs(hostOf(inv, "server-1"), inv).slice(0, 5)).toEqual([...consul, ...nomad]);
    expect(desiredDirs(hostOf(inv, "client-1"), inv).slice(0, 5)).toEqual([...consul, ...nomad]);
    expect(desiredDirs(hostOf(inv, "edge-1"), inv).map((d) => d.path)).not.toContain("/var/lib/nomad");
    expect(desiredDirs(hostOf(inv, "edge-1"), inv).slice(0, 3)).toEqual(consul);
    expect(desiredDirs(hostOf(inv, "observe-1"), inv).slice(0, 3)).toEqual(consul);
  });

  it("a consul system user at home in its data dir on every host; Nomad runs as root", () => {
    const inv = cluster();
    for (const h of inv.hosts)
      expect(desiredHost(inv, h, SECRETS).users[0], h.name).toEqual({
        name: "consul",
        group: "consul",
        home: "/var/lib/consul",
      });
    const users = (name: string) => desiredHost(inv, hostOf(inv, name), SECRETS).users.map((u) => u.name);
    expect(users("server-1")).toEqual(["consul", "np-agent"]);
    expect(users("edge-1")).toEqual(["consul", "traefik", "np-agent"]);
  });
});

describe("hclString", () => {
  const HOSTILE = [
    'say "hi"',
    "back\\slash",
    "${path.module}",
    "%{ if true }x%{ endif }",
    "$${already}",
    "x${",
    'end\\"',
    "line1\nline2\ttab\r",
    "bell\u0007",
    "ünïcødé ✓",
    "",
  ];

  it("writes values that the HCL parser reads back exactly", async () => {
    for (const value of HOSTILE) {
      const parsed = await parseHcl(`v = ${hclString(value)}\n`);
      // hcl2json re-escapes template sequences in its JSON output ($${ and %%{); undo that to compare.
      const read = String(parsed.v).replaceAll("$${", "${").replaceAll("%%{", "%{");
      expect(read, JSON.stringify(value)).toBe(value);
    }
  });

  it("escapes quotes, backslashes and template sequences", () => {
    expect(hclString('a"b')).toBe('"a\\"b"');
    expect(hclString("a\\b")).toBe('"a\\\\b"');
    expect(hclString("${x}")).toBe('"\\u0024{x}"');
    expect(hclString("%{x}")).toBe('"\\u0025{x}"');
    expect(hclString("$ and % alone")).toBe('"$ and % alone"');
  });

  it("a hostile-looking meta value lands in nomad.hcl escaped, as one value", async () => {
    const value = 'r1" }\nserver { enabled = true } #${x}';
    const inv = inventory([host("s", 1, ["server"]), host("c", 2, ["client"], { meta: { rack: value } })]);
    const text =
      desiredFiles(inv, hostOf(inv, "c"), SECRETS).find((f) => f.path.endsWith("nomad.hcl"))?.content ?? "";
    expect(text).toContain('"rack" = "r1\\" }\\nserver { enabled = true } #\\u0024{x}"');
    const parsed = await parseHcl(text);
    expect(parsed.server).toBeUndefined();
    expect(String((block(parsed, "client").meta as Record<string, string>).rack).replace("$${", "${")).toBe(
      value,
    );
  });
});

describe("versions", () => {
  it("compares numerically, ignoring pre-release suffixes", () => {
    expect(compareVersions("1.10.0", "1.9.0")).toBeGreaterThan(0);
    expect(compareVersions("1.8.7", "1.9.0")).toBeLessThan(0);
    expect(compareVersions("1.9.0", "1.9.0")).toBe(0);
    expect(compareVersions("2.0.0", "1.99.99")).toBeGreaterThan(0);
    expect(consulHasUiConfig("1.8.7")).toBe(false);
    expect(consulHasUiConfig("1.9.0-beta1")).toBe(true);
    expect(consulHasUiConfig("1.10.0")).toBe(true);
    expect(() => compareVersions("latest", "1.9.0")).toThrow(/not a release version/);
  });
});

describe("renderTemplate", () => {
  it("throws on a variable missing from the data instead of rendering nothing", () => {
    expect(() => renderTemplate("nomad.service", { binary: "/usr/local/bin/nomad" })).toThrow(/configDir/);
    const inv = cluster();
    const good = { binary: "/usr/local/bin/nomad", configDir: "/etc/nomad.d" };
    expect(renderTemplate("nomad.service", good)).toContain(
      "ExecStart=/usr/local/bin/nomad agent -config /etc/nomad.d",
    );
    expect(() => renderTemplate("consul.hcl", { datacenter: inv.cluster.datacenter })).toThrow(
      /consul\.hcl\.hbs: \{\{hcl\}\} at line 3, column 22: value missing/,
    );
  });

  it("throws on a missing value tested by #if or listed by #each; null means not set", () => {
    const view = {
      region: "global",
      datacenter: "dc1",
      name: "n",
      dataDir: "/d",
      bindAddr: "a",
      advertiseAddr: "a",
      server: null,
      client: { servers: ["s"], nodeClass: null, meta: null },
      consul: { address: "c", token: "t" },
      security: {
        tls: {
          http: true,
          rpc: true,
          caFile: "ca",
          certFile: "c",
          keyFile: "k",
          verifyServerHostname: true,
          verifyHttpsClient: true,
          rpcUpgradeMode: false,
        },
        acl: { enabled: true },
      },
    };
    expect(renderTemplate("nomad.hcl", view)).not.toMatch(/node_class|meta|server \{/);
    const { meta: _, ...clientWithoutMeta } = view.client;
    expect(() => renderTemplate("nomad.hcl", { ...view, client: clientWithoutMeta })).toThrow(
      /\{\{#if\}\}.*missing/,
    );
    const { server: __, ...withoutServer } = view;
    expect(() => renderTemplate("nomad.hcl", withoutServer)).toThrow(/\{\{#if\}\}.*missing/);
  });

  it("refuses a value of the wrong type in an HCL helper", () => {
    const view = {
      datacenter: "dc1",
      nodeName: 7,
      dataDir: "/d",
      bindAddr: "a",
      advertiseAddr: "a",
      clientAddr: "a",
      retryJoin: [],
      encrypt: "k",
      logLevel: "INFO",
      server: null,
    };
    expect(() => renderTemplate("consul.hcl", view)).toThrow(/\{\{hcl\}\} needs a string, got number/);
  });

  it("refuses a template name that is a path", () => {
    expect(() => renderTemplate("../package.json", {})).toThrow(/invalid template name/);
  });
});
