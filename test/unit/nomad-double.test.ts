// Unit tests of np's Nomad double: its HCL reader, config checks (same words as `nomad agent`) and helpers.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  goDuration,
  loadConfig,
  normalizeConfig,
  parseAgentFlags,
  parseGoDuration,
  parseHcl,
  splitHostPort,
  unexpectedKeys,
} from "../doubles/nomad-double.mjs";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
const tmp = mkdtempSync(path.join(tmpdir(), "np-nomad-double-unit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The config np renders (notes/cluster-layout.md) for a node that is both server and client.
const RENDERED = `region     = "global"
datacenter = "dc1"
name       = "node1"
data_dir   = "/var/lib/nomad"
bind_addr  = "10.213.7.11"              # private_address
advertise {
  http = "10.213.7.11"
  rpc  = "10.213.7.11"
  serf = "10.213.7.11"
}
server {                                # only on servers
  enabled          = true
  bootstrap_expect = 3
  encrypt          = "${Buffer.alloc(32, 1).toString("base64")}"
  server_join {
    retry_join = ["10.213.7.11", "10.213.7.12", "10.213.7.13"]   // bare addresses
  }
}
autopilot {
  cleanup_dead_servers = true
}
client {
  enabled    = true
  servers    = ["10.213.7.11", "10.213.7.12", "10.213.7.13"]
  node_class = "web"
  meta {
    rack = "r1"
  }
}
consul {
  address = "127.0.0.1:8500"
}
`;

describe("the double's HCL reader", () => {
  it("reads the config np renders", () => {
    const c = parseHcl(RENDERED);
    expect(c).toMatchObject({
      region: "global",
      bind_addr: "10.213.7.11",
      advertise: { http: "10.213.7.11", rpc: "10.213.7.11", serf: "10.213.7.11" },
      server: {
        enabled: true,
        bootstrap_expect: 3,
        server_join: { retry_join: ["10.213.7.11", "10.213.7.12", "10.213.7.13"] },
      },
      autopilot: { cleanup_dead_servers: true },
      client: { enabled: true, node_class: "web", meta: { rack: "r1" } },
      consul: { address: "127.0.0.1:8500" },
    });
  });

  it("handles labels, quoted keys, object values, escapes, block comments and repeated blocks", () => {
    const c = parseHcl(`
      /* block
         comment */
      plugin "docker" { config { volumes { enabled = true } } }
      plugin "raw_exec" { config { enabled = true } }
      client { meta = { "rack.zone" = "a", b: "c\\"d\\\\e" } }
      client { enabled = false, node_pool = "p1" }
      ports { http = 5646 }
      weights = [1, 2.5, -3]
    `);
    expect(c.plugin).toEqual({
      docker: { config: { volumes: { enabled: true } } },
      raw_exec: { config: { enabled: true } },
    });
    expect(c.client).toEqual({ meta: { "rack.zone": "a", b: 'c"d\\e' }, enabled: false, node_pool: "p1" });
    expect(c.ports.http).toBe(5646);
    expect(c.weights).toEqual([1, 2.5, -3]);
  });

  it("reports syntax errors with HCL's `At line:col:` position", () => {
    expect(() => parseHcl('a = "open\n')).toThrow(/^At 1:5: literal not terminated/);
    expect(() => parseHcl("server {\n  enabled = true\n")).toThrow(/At EOF: expected '}'/);
    expect(() => parseHcl("x = <<EOF\nhi\nEOF\n")).toThrow(/heredoc/);
    expect(() => parseHcl("a = @")).toThrow(/At 1:5: illegal char/);
  });
});

describe("the double's config checks", () => {
  it("rejects unknown keys with Nomad's `unexpected keys` text, block path innermost first", () => {
    expect(unexpectedKeys(parseHcl(RENDERED))).toBeNull();
    expect(unexpectedKeys({ bogus: 1, region: "x", other: 2 })).toBe("unexpected keys bogus, other");
    expect(unexpectedKeys({ server: { enabled: true, bootstrap: 3 } })).toBe(
      "server unexpected keys bootstrap",
    );
    expect(unexpectedKeys({ client: { server_join: { retry: [] } } })).toBe(
      "server_join.client unexpected keys retry",
    );
    // Nomad ignores unknown keys in consul, plugin and meta.
    expect(
      unexpectedKeys({ consul: { whatever: 1 }, plugin: { x: { y: 1 } }, client: { meta: { any: "1" } } }),
    ).toBeNull();
  });

  it("loads a config dir's *.hcl and *.json files in lexical order, later files winning", () => {
    const dir = path.join(tmp, "conf.d");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "10-base.hcl"),
      'region = "global"\nname = "a"\nclient { servers = ["s1"] }\n',
    );
    writeFileSync(
      path.join(dir, "20-more.json"),
      JSON.stringify({ name: "b", client: [{ servers: ["s2"] }] }),
    );
    writeFileSync(path.join(dir, "30-ignored.txt"), "not = config {");
    const { raw, files } = loadConfig([dir]);
    expect(raw).toEqual({ region: "global", name: "b", client: { servers: ["s1", "s2"] } });
    expect(files.map((f: string) => path.basename(f))).toEqual(["10-base.hcl", "20-more.json"]);
    expect(() => loadConfig([path.join(tmp, "nope")])).toThrow(
      /^Error loading configuration from .*nope: stat .*: no such file or directory$/,
    );
  });

  it("derives ports, advertise addresses and roles like Nomad, and refuses what Nomad refuses", () => {
    const cfg = normalizeConfig(parseHcl(RENDERED));
    expect(cfg.ports).toEqual({ http: 4646, rpc: 4647, serf: 4648 });
    expect(cfg.advertise).toEqual({
      http: "10.213.7.11:4646",
      rpc: "10.213.7.11:4647",
      serf: "10.213.7.11:4648",
    });
    expect([cfg.server.enabled, cfg.server.bootstrapExpect, cfg.client.nodePool]).toEqual([
      true,
      3,
      "default",
    ]);
    const base = { data_dir: "/d", server: { enabled: true } };
    expect(() => normalizeConfig({ data_dir: "/d" })).toThrow(
      "Must specify either server, client or dev mode for the agent.",
    );
    expect(() => normalizeConfig({ server: { enabled: true } })).toThrow("Must specify data directory");
    expect(() => normalizeConfig({ ...base, data_dir: "rel" })).toThrow(
      "data-dir must be given as an absolute path: got rel",
    );
    expect(() => normalizeConfig({ ...base, server: { enabled: true, encrypt: "!!" } })).toThrow(
      /^Invalid encryption key/,
    );
    expect(() =>
      normalizeConfig({ data_dir: "/d", client: { enabled: true }, server: { bootstrap_expect: 3 } }),
    ).toThrow("Bootstrap requires server mode to be enabled");
    expect(
      normalizeConfig({ ...base, ports: { http: 5000 }, advertise: { rpc: "10.0.0.9:9000" } }).advertise.rpc,
    ).toBe("10.0.0.9:9000");
  });

  it("parses `nomad agent` flags in Go's -x v / -x=v forms", () => {
    expect(parseAgentFlags(["-config", "/a", "-config=/b", "--data-dir=/d"])).toEqual({
      configPaths: ["/a", "/b"],
      overrides: { data_dir: "/d" },
    });
    expect(parseAgentFlags(["-bogus"]).error).toBe("flag provided but not defined: -bogus");
  });
});

describe("the double's helpers", () => {
  it("formats durations like Go's time.Duration.String()", () => {
    expect([0, 0.5, 27.291304, 1500, 90_000, 3_600_000].map(goDuration)).toEqual([
      "0s",
      "500µs",
      "27.291304ms",
      "1.5s",
      "1m30s",
      "1h0m0s",
    ]);
  });

  it("parses Go durations for ?wait=", () => {
    expect(["5m", "1m30s", "250ms", "0", "2h"].map(parseGoDuration)).toEqual([
      300_000, 90_000, 250, 0, 7_200_000,
    ]);
    expect(parseGoDuration("soon")).toBeNull();
    expect(parseGoDuration("")).toBeNull();
  });

  it("splits host:port with a default port for bare addresses", () => {
    expect(splitHostPort("10.0.0.1", 4648)).toEqual(["10.0.0.1", 4648]);
    expect(splitHostPort("10.0.0.1:5000", 4648)).toEqual(["10.0.0.1", 5000]);
    expect(splitHostPort("[::1]:4647", 1)).toEqual(["::1", 4647]);
  });
});

describe("the double's CLI", () => {
  const run = async (args: string[]) => {
    try {
      const r = await promisify(execFile)(process.execPath, [DOUBLE, ...args]);
      return { code: 0, ...r };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  it("exits 1 with Nomad's message on an unknown top-level key", async () => {
    const file = path.join(tmp, "bad.hcl");
    writeFileSync(file, 'data_dir = "/tmp/x"\nbogus_key = true\nserver { enabled = true }\n');
    const r = await run(["agent", `-config=${file}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`==> Error loading configuration from ${file}: unexpected keys bogus_key\n`);
  });

  it("exits 1 when data_dir is missing, after Nomad's mTLS warning (command.go IsValidConfig)", async () => {
    const file = path.join(tmp, "nodata.hcl");
    writeFileSync(file, "server {\n  enabled = true\n}\n");
    const r = await run(["agent", "-config", file]);
    expect([r.code, r.stderr]).toEqual([
      1,
      "==> WARNING: mTLS is not configured - Nomad is not secure without mTLS!\n==> Must specify data directory\n",
    ]);
  });

  it("refuses commands it does not implement with exit 127, saying it is a double", async () => {
    const r = await run(["job", "run", "x.nomad"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain("np's Nomad test double");
  });
});
