import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONSUL_SETTINGS_SCRIPT, parseConsulSettings } from "../../src/cluster/migrate/consul-settings.js";
import {
  CONSUL_STAGES,
  type ConsulStage,
  consulSecurityAt,
  consulStageOf,
} from "../../src/components/consul/migrate-stages.js";
import { desiredHost } from "../../src/components/index.js";
import type { HostSpec } from "../../src/inventory/index.js";
import { fixtureSecret, host, inventory, SECRETS } from "./render-fixtures.js";

const HOSTS = [
  host("s1", 11, ["server"]),
  host("s2", 12, ["server"]),
  host("s3", 13, ["server", "client"]),
  host("c1", 14, ["client", "edge"]),
];
const [S1, , , C1] = HOSTS as [HostSpec, HostSpec, HostSpec, HostSpec];
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/consul-hcl/${name}.hcl`, import.meta.url), "utf8");

function consulHcl(h: HostSpec, stage?: ConsulStage, consul = "1.8.7"): string {
  const inv = inventory(HOSTS, { consul });
  const f = desiredHost(inv, h, SECRETS, stage ? { consul: stage } : undefined).files.find(
    (x) => x.path === "/etc/consul.d/consul.hcl",
  );
  if (!f) throw new Error("no consul.hcl");
  return f.content;
}

/** The settings script run by this machine's sh and awk on a file's text, as np runs it on a host. */
function settingsOf(text: string): string {
  return execFileSync(
    "sh",
    ["-c", `f=$(mktemp); cat > "$f"; sh -c "$0" sh "$f"; rm -f "$f"`, CONSUL_SETTINGS_SCRIPT],
    {
      input: text,
      encoding: "utf8",
    },
  );
}

describe("Consul's migration stages", () => {
  it("the first stage is the earlier np's consul.hcl, the last a fresh cluster's, byte for byte", () => {
    expect(consulHcl(S1, "gossip")).toBe(fixture("earlier-np-1.8.7-server"));
    expect(consulHcl(C1, "gossip")).toBe(fixture("earlier-np-1.8.7-client"));
    for (const v of ["1.8.7", "1.21.0"]) {
      expect(consulHcl(S1, "secure", v)).toBe(fixture(`secure-${v}-server`));
      expect(consulHcl(C1, "secure", v)).toBe(fixture(`secure-${v}-client`));
      // No stage given: the final one (a fresh cluster renders it directly).
      expect(consulHcl(S1, undefined, v)).toBe(fixture(`secure-${v}-server`));
    }
  });

  it("servers move first: TLS accepted, then spoken, then required with ACLs allowing, then denying", () => {
    const at = (s: ConsulStage, server: boolean) => consulSecurityAt(s, server);
    expect(at("gossip", true)).toEqual({ tls: null, acl: null });
    expect(at("tls-accept", true).tls).toEqual({
      verifyIncomingRpc: false,
      verifyOutgoing: false,
      verifyServerHostname: false,
    });
    expect(at("tls-outgoing", true).tls?.verifyOutgoing).toBe(true);
    expect(at("tls-outgoing", true).tls?.verifyIncomingRpc).toBe(false);
    expect(at("acl-allow", true)).toEqual({
      tls: { verifyIncomingRpc: true, verifyOutgoing: true, verifyServerHostname: true },
      acl: { defaultPolicy: "allow", agentToken: false },
    });
    expect(at("secure", true).acl).toEqual({ defaultPolicy: "deny", agentToken: true });
    // A client changes nothing while the servers only accept TLS; it speaks TLS once they all accept it.
    expect(at("tls-accept", false)).toEqual(at("gossip", false));
    expect(at("tls-outgoing", false).tls).toEqual({
      verifyIncomingRpc: false,
      verifyOutgoing: true,
      verifyServerHostname: true,
    });
    expect(at("acl-allow", false).acl).toEqual({ defaultPolicy: "allow", agentToken: true });
  });

  it("the settings read back from each stage's file give that stage, for 1.8's keys and 1.12's tls stanza", () => {
    for (const v of ["1.8.7", "1.21.0"])
      for (const stage of CONSUL_STAGES)
        for (const h of [S1, C1]) {
          const server = h === S1;
          const settings = parseConsulSettings(settingsOf(consulHcl(h, stage, v)));
          expect(settings, `${v} ${stage} ${h.name}`).toEqual(consulSecurityAt(stage, server));
          // A client's file does not change at tls-accept: a gossip-only client is at tls-accept already.
          const expected = !server && stage === "gossip" ? "tls-accept" : stage;
          expect(consulStageOf(settings, server), `${v} ${stage} ${h.name}`).toBe(expected);
        }
  });

  it("the settings script prints neither the gossip key nor a token", () => {
    const out = settingsOf(consulHcl(C1, "secure"));
    expect(out).toContain("acl.tokens.agent=set");
    expect(out).not.toContain(fixtureSecret("consul-gossip"));
    expect(out).not.toContain(fixtureSecret("consul-agent-c1"));
    expect(out).not.toMatch(/encrypt/);
  });

  it("settings of no stage are no stage: np does not guess", () => {
    // verify_outgoing on a server before every server accepts TLS would cut it off from the others.
    const odd = {
      tls: { verifyIncomingRpc: false, verifyOutgoing: true, verifyServerHostname: false },
      acl: null,
    };
    expect(consulStageOf(odd, true)).toBeNull();
    expect(consulStageOf({ tls: null, acl: { defaultPolicy: "deny", agentToken: true } }, true)).toBeNull();
    // A file without the script's keys (absent, or an earlier np's) reads as gossip only.
    expect(parseConsulSettings("")).toEqual({ tls: null, acl: null });
    expect(parseConsulSettings(settingsOf(fixture("earlier-np-1.8.7-server")))).toEqual({
      tls: null,
      acl: null,
    });
  });
});
