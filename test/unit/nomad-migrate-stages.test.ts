import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { NOMAD_SETTINGS_SCRIPT, parseNomadSettings } from "../../src/cluster/migrate/nomad-settings.js";
import { desiredHost } from "../../src/components/index.js";
import {
  NOMAD_STAGES,
  type NomadStage,
  nomadSecurityAt,
  nomadStageOf,
} from "../../src/components/nomad/migrate-stages.js";
import type { HostSpec } from "../../src/inventory/index.js";
import { fixtureSecret, host, inventory, SECRETS } from "./render-fixtures.js";

const HOSTS = [
  host("s1", 11, ["server"]),
  host("s2", 12, ["server"]),
  host("s3", 13, ["server"]),
  host("c1", 14, ["client", "edge"], { meta: { zone: "a" } }),
];
const [S1, , , C1] = HOSTS as [HostSpec, HostSpec, HostSpec, HostSpec];
const INV = inventory(HOSTS);

function nomadHcl(h: HostSpec, stage?: NomadStage): string {
  const stages = stage ? { consul: "secure" as const, nomad: stage } : undefined;
  const f = desiredHost(INV, h, SECRETS, stages).files.find((x) => x.path === "/etc/nomad.d/nomad.hcl");
  if (!f) throw new Error("no nomad.hcl");
  return f.content;
}

/** The settings script run by this machine's sh and awk on a file's text, as np runs it on a host. */
function settingsOf(text: string): string {
  return execFileSync(
    "sh",
    ["-c", `f=$(mktemp); cat > "$f"; sh -c "$0" sh "$f"; rm -f "$f"`, NOMAD_SETTINGS_SCRIPT],
    { input: text, encoding: "utf8" },
  );
}

/** An earlier np's nomad.hcl (04ddce3's template): no tls and no acl block, Consul without a token. */
const EARLIER_SERVER = `# Written by np: changes made here are replaced by the next \`np up\`.
region     = "global"
datacenter = "dc1"
name       = "s1"
data_dir   = "/var/lib/nomad"
bind_addr  = "10.0.0.11"

advertise {
  http = "10.0.0.11"
  rpc  = "10.0.0.11"
  serf = "10.0.0.11"
}

server {
  enabled          = true
  bootstrap_expect = 3
  encrypt          = "${fixtureSecret("nomad-gossip")}"
  server_join {
    retry_join = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
  }
}

autopilot {
  cleanup_dead_servers = true
}

consul {
  address = "127.0.0.1:8500"
}
`;

describe("Nomad's migration stages", () => {
  it("the last stage's nomad.hcl is byte for byte a fresh cluster's", () => {
    for (const h of [S1, C1]) expect(nomadHcl(h, "secure")).toBe(nomadHcl(h));
  });

  it("servers take TLS with rpc_upgrade_mode first, then without; clients TLS once; ACLs last", () => {
    const at = nomadSecurityAt;
    expect(at("plain", true)).toEqual({ tls: null, acl: false });
    expect(at("tls-upgrade", true)).toEqual({
      tls: { http: true, rpc: true, rpcUpgradeMode: true },
      acl: false,
    });
    expect(at("tls", true).tls?.rpcUpgradeMode).toBe(false);
    expect(at("secure", true)).toEqual({ tls: { http: true, rpc: true, rpcUpgradeMode: false }, acl: true });
    // A client receives no RPC: it never needs rpc_upgrade_mode, and does not change at "tls".
    expect(at("tls-upgrade", false)).toEqual(at("tls", false));
    expect(at("tls-upgrade", false).tls?.rpcUpgradeMode).toBe(false);
    expect(nomadHcl(S1, "tls-upgrade")).toMatch(/^ {2}rpc_upgrade_mode {7}= true$/m);
    expect(nomadHcl(S1, "tls")).not.toContain("rpc_upgrade_mode");
    expect(nomadHcl(C1, "tls-upgrade")).not.toContain("rpc_upgrade_mode");
    expect(nomadHcl(S1, "tls")).toMatch(/acl \{\n {2}enabled = false\n\}/);
    expect(nomadHcl(S1, "plain")).not.toMatch(/^tls \{/m);
  });

  it("the settings read back from each stage's file give that stage", () => {
    for (const stage of NOMAD_STAGES)
      for (const h of [S1, C1]) {
        const server = h === S1;
        const settings = parseNomadSettings(settingsOf(nomadHcl(h, stage)));
        expect(settings, `${stage} ${h.name}`).toEqual(nomadSecurityAt(stage, server));
        // A client's file does not change at "tls": a client at tls-upgrade is at "tls" already.
        const expected = !server && stage === "tls-upgrade" ? "tls" : stage;
        expect(nomadStageOf(settings, server), `${stage} ${h.name}`).toBe(expected);
      }
    // The earlier np's file: plain. Its client's meta block does not end the client block early.
    expect(nomadStageOf(parseNomadSettings(settingsOf(EARLIER_SERVER)), true)).toBe("plain");
    expect(settingsOf(nomadHcl(C1, "secure"))).toBe("tls.http=true\ntls.rpc=true\nacl.enabled=true\n");
  });

  it("the settings script prints neither the gossip key nor Consul's token", () => {
    const out = settingsOf(nomadHcl(S1, "tls-upgrade")) + settingsOf(EARLIER_SERVER);
    expect(out).not.toContain(fixtureSecret("nomad-gossip"));
    expect(out).not.toContain(fixtureSecret("consul-nomad-server"));
    expect(out).not.toMatch(/encrypt|token/);
  });

  it("settings of no stage are no stage: np does not guess", () => {
    expect(nomadStageOf({ tls: null, acl: true }, true)).toBeNull();
    expect(
      nomadStageOf({ tls: { http: true, rpc: false, rpcUpgradeMode: false }, acl: false }, true),
    ).toBeNull();
    // rpc_upgrade_mode on a client is not np's
    expect(
      nomadStageOf({ tls: { http: true, rpc: true, rpcUpgradeMode: true }, acl: false }, false),
    ).toBeNull();
    expect(parseNomadSettings("")).toEqual({ tls: null, acl: false });
  });
});
