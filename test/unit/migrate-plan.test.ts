import { describe, expect, it } from "vitest";
import { type MigratingHost, planMigration, planText } from "../../src/cluster/migrate/plan-lines.js";
import { SECURITY_STEPS } from "../../src/cluster/migrate/steps.js";

const gossip = (name: string, server: boolean): MigratingHost => ({
  name,
  server,
  stage: "gossip",
  restartOwed: false,
});
const CLUSTER = [gossip("s1", true), gossip("s2", true), gossip("s3", true), gossip("c1", false)];
/** "n stage host move" per line, or "n stage action". */
const brief = (hosts: MigratingHost[]) =>
  planMigration(hosts, SECURITY_STEPS).map((l) =>
    [l.n, l.stage, l.host ?? "then", l.move ?? l.action].join(" "),
  );

describe("the migration's plan", () => {
  it("a gossip-only cluster: every stage, servers one at a time, the step's action, then the agents", () => {
    expect(brief(CLUSTER)).toEqual([
      "1 tls-accept s1 restart",
      "1 tls-accept s2 restart",
      "1 tls-accept s3 restart",
      // A client's TLS and ACL settings do not change while servers only accept TLS.
      "1 tls-accept c1 unchanged",
      "2 tls-outgoing s1 restart",
      "2 tls-outgoing s2 restart",
      "2 tls-outgoing s3 restart",
      "2 tls-outgoing then wait for the root of Consul's Connect CA (it signs the clients' certificates)",
      "2 tls-outgoing c1 restart",
      "3 acl-allow s1 restart",
      "3 acl-allow s2 restart",
      "3 acl-allow s3 restart",
      "3 acl-allow then bootstrap Consul's ACLs (once), create np's policies and tokens",
      "3 acl-allow c1 restart",
      "4 secure s1 restart",
      "4 secure s2 restart",
      "4 secure s3 restart",
      "4 secure c1 restart",
    ]);
  });

  it("a cluster cut off mid-migration goes on where each host stands; hosts already past a step stay", () => {
    const hosts: MigratingHost[] = [
      { name: "s1", server: true, stage: "acl-allow", restartOwed: false },
      // Its file of acl-allow was written, its restart was cut off: it is owed at its own stage.
      { name: "s2", server: true, stage: "acl-allow", restartOwed: true },
      { name: "s3", server: true, stage: "tls-outgoing", restartOwed: false },
      { name: "c1", server: false, stage: "tls-outgoing", restartOwed: false },
    ];
    expect(brief(hosts)).toEqual([
      "3 acl-allow s1 unchanged",
      "3 acl-allow s2 restart",
      "3 acl-allow s3 restart",
      "3 acl-allow then bootstrap Consul's ACLs (once), create np's policies and tokens",
      "3 acl-allow c1 restart",
      "4 secure s1 restart",
      "4 secure s2 restart",
      "4 secure s3 restart",
      "4 secure c1 restart",
    ]);
    expect(brief(hosts.map((h) => ({ ...h, stage: "secure", restartOwed: false })))).toEqual([]);
  });

  it("in words: a heading per step, then one line per host in the order np up takes them", () => {
    const text = planText(planMigration(CLUSTER, SECURITY_STEPS), SECURITY_STEPS);
    expect(text[0]).toBe(
      "  step 1/4 tls-accept: servers accept TLS on RPC without requiring it (verify_incoming and verify_outgoing off)",
    );
    expect(text[1]).toBe(
      "    1/4 tls-accept    s1 (server)  write consul.hcl, restart consul, wait until it is back in a healthy quorum",
    );
    expect(text[4]).toBe("    1/4 tls-accept    c1           consul.hcl unchanged at this step, no restart");
    expect(text.at(-1)).toBe(
      "    4/4 secure        c1           write consul.hcl, restart consul, wait until its checks pass again",
    );
    expect(text.filter((l) => l.startsWith("  step "))).toHaveLength(4);
    expect(text.find((l) => l.startsWith("  step 4/4"))).toContain(
      "(after the other services restarted with their tokens)",
    );
    expect(text).toHaveLength(4 + 18);
  });
});
