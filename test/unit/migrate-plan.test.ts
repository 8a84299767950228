import { describe, expect, it } from "vitest";
import { type MigratingHost, planMigration, planText } from "../../src/cluster/migrate/plan-lines.js";
import { SECURITY_STEPS } from "../../src/cluster/migrate/steps.js";

const earlier = (name: string, server: boolean, nomad = true): MigratingHost => ({
  name,
  server,
  stages: { consul: "gossip", ...(nomad && { nomad: "plain" }) },
  restartOwed: [],
});
const CLUSTER = [
  earlier("s1", true),
  earlier("s2", true),
  earlier("s3", true),
  earlier("c1", false),
  // An edge only: Consul, no Nomad.
  earlier("e1", false, false),
];
/** "n component stage host move" per line, or "n component stage then action". */
const brief = (hosts: MigratingHost[]) =>
  planMigration(hosts, SECURITY_STEPS).map((l) =>
    [l.n, l.component, l.stage, l.host ?? "then", l.move ?? l.action].join(" "),
  );
const rolling = (n: number, c: string, stage: string, moves: Record<string, string>) =>
  Object.entries(moves).map(([h, m]) => `${n} ${c} ${stage} ${h} ${m}`);

describe("the migration's plan", () => {
  it("an earlier np's cluster: Consul up to ACLs that allow, Nomad's TLS then ACLs, then Consul's deny", () => {
    const all = { s1: "restart", s2: "restart", s3: "restart" };
    expect(brief(CLUSTER)).toEqual([
      // A Consul client's TLS and ACL settings do not change while servers only accept TLS.
      ...rolling(1, "consul", "tls-accept", { ...all, c1: "unchanged", e1: "unchanged" }),
      ...rolling(2, "consul", "tls-outgoing", all),
      "2 consul tls-outgoing then wait for the root of Consul's Connect CA (it signs the clients' certificates)",
      ...rolling(2, "consul", "tls-outgoing", { c1: "restart", e1: "restart" }),
      ...rolling(3, "consul", "acl-allow", all),
      "3 consul acl-allow then bootstrap Consul's ACLs (once), create np's policies and tokens",
      ...rolling(3, "consul", "acl-allow", { c1: "restart", e1: "restart" }),
      // Nomad: servers accept plain RPC beside TLS, then the client speaks TLS; then servers refuse plain RPC.
      ...rolling(4, "nomad", "tls-upgrade", { ...all, c1: "restart" }),
      ...rolling(5, "nomad", "tls", { ...all, c1: "unchanged" }),
      ...rolling(6, "nomad", "secure", all),
      "6 nomad secure then bootstrap Nomad's ACLs with np's saved secret (as soon as a leader has ACLs on), create np's policies and tokens",
      ...rolling(6, "nomad", "secure", { c1: "restart" }),
      ...rolling(7, "consul", "secure", { ...all, c1: "restart", e1: "restart" }),
    ]);
  });

  it("a cluster cut off mid-migration goes on where each host stands; hosts already past a step stay", () => {
    const at = (name: string, server: boolean, nomad: string, owed: MigratingHost["restartOwed"] = []) => ({
      name,
      server,
      stages: { consul: "acl-allow", nomad },
      restartOwed: owed,
    });
    const hosts: MigratingHost[] = [
      at("s1", true, "tls"),
      // Its nomad.hcl of "tls" was written, its restart was cut off: it is owed at its own stage.
      at("s2", true, "tls", ["nomad"]),
      at("s3", true, "tls-upgrade"),
      at("c1", false, "tls"),
    ];
    expect(brief(hosts)).toEqual([
      ...rolling(5, "nomad", "tls", { s1: "unchanged", s2: "restart", s3: "restart", c1: "unchanged" }),
      ...rolling(6, "nomad", "secure", { s1: "restart", s2: "restart", s3: "restart" }),
      "6 nomad secure then bootstrap Nomad's ACLs with np's saved secret (as soon as a leader has ACLs on), create np's policies and tokens",
      ...rolling(6, "nomad", "secure", { c1: "restart" }),
      ...rolling(7, "consul", "secure", { s1: "restart", s2: "restart", s3: "restart", c1: "restart" }),
    ]);
    const done = hosts.map((h) => ({ ...h, stages: { consul: "secure", nomad: "secure" }, restartOwed: [] }));
    expect(brief(done)).toEqual([]);
  });

  it("in words: a heading per step, then one line per host in the order np up takes them", () => {
    const text = planText(planMigration(CLUSTER, SECURITY_STEPS), SECURITY_STEPS);
    expect(text[0]).toBe(
      "  step 1/7 consul tls-accept: servers accept TLS on RPC without requiring it (verify_incoming and verify_outgoing off)",
    );
    expect(text[1]).toBe(
      "    1/7 consul tls-accept    s1 (server)  write consul.hcl, restart consul, wait until it is back in a healthy quorum",
    );
    expect(text[4]).toBe(
      "    1/7 consul tls-accept    c1           consul.hcl unchanged at this step, no restart",
    );
    expect(text).toContain(
      "    4/7 nomad tls-upgrade    c1           write nomad.hcl, restart nomad, wait until its node is ready and its checks pass again",
    );
    expect(text.at(-1)).toBe(
      "    7/7 consul secure        e1           write consul.hcl, restart consul, wait until its checks pass again",
    );
    expect(text.filter((l) => l.startsWith("  step "))).toHaveLength(7);
    expect(text.find((l) => l.startsWith("  step 7/7"))).toContain(
      "(after the other services restarted with their tokens)",
    );
    expect(text).toHaveLength(7 + 5 + 6 + 6 + 4 + 4 + 5 + 5);
  });
});
