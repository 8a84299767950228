import { describe, expect, it } from "vitest";
import type { AclPolicy, AclToken } from "../../src/api/consul-acl.js";
import { aclActions } from "../../src/cluster/consul-acl.js";
import { accessorIdOf, consulAcl, consulTokenSecrets } from "../../src/components/consul/index.js";
import { cluster, SECRETS } from "./render-fixtures.js";

const inv = cluster();
const desired = consulAcl(inv);

/** What Consul would list after np applied `desired`. */
function applied(): { policies: AclPolicy[]; tokens: AclToken[] } {
  return {
    policies: desired.policies.map((p, i) => ({
      ID: `p${i}`,
      Name: p.name,
      Description: p.description,
      Rules: p.rules,
    })),
    tokens: desired.tokens.map((t) => ({
      AccessorID: accessorIdOf(SECRETS.get(t.secret).reveal()),
      Description: t.description,
      Policies: t.policies.map((Name, i) => ({ ID: `x${i}`, Name })),
      NodeIdentities: t.nodeIdentities,
    })),
  };
}

describe("Consul's least-privilege policies and tokens", () => {
  it("one node-identity token per agent and one np-agent token per node; shared tokens per component", () => {
    const names = desired.tokens.map((t) => t.secret);
    for (const h of inv.hosts) {
      expect(names).toContain(`consul-agent-${h.name}`);
      expect(names).toContain(`consul-np-agent-${h.name}`);
    }
    expect(names).toEqual(
      expect.arrayContaining(["consul-nomad-server", "consul-nomad-client", "consul-traefik"]),
    );
    const agent = desired.tokens.find((t) => t.secret === "consul-agent-client-1");
    expect(agent).toMatchObject({
      policies: [],
      nodeIdentities: [{ NodeName: "client-1", Datacenter: "dc1" }],
    });
    expect(consulTokenSecrets(inv).map((s) => s.name)).toEqual(["consul-management", ...names]);
    expect(consulTokenSecrets(inv)[0]?.generate).toBeUndefined();
  });

  it("the policies' rules, exactly", () => {
    const rules = Object.fromEntries(desired.policies.map((p) => [p.name, p.rules]));
    expect(rules["np-agent-client-1"]).toBe(
      'service "np-agent" {\n  policy = "write"\n}\nkey "np/nodes/client-1" {\n  policy = "write"\n}\nnode "client-1" {\n  policy = "read"\n}\n',
    );
    expect(rules["np-traefik-catalog"]).toBe(
      'service_prefix "" {\n  policy = "read"\n}\nnode_prefix "" {\n  policy = "read"\n}\n',
    );
    expect(rules["np-service-openobserve"]).toBe('service "openobserve" {\n  policy = "write"\n}\n');
    expect(rules["np-nomad"]).toContain('service_prefix "" {\n  policy = "write"\n}');
    expect(Object.values(rules).join("")).not.toMatch(/acl|operator|keyring|key_prefix/);
  });

  it("on a fresh cluster: every policy, then every token, created", () => {
    const actions = aclActions(desired, { policies: [], tokens: [] }, SECRETS);
    const kinds = actions.map((a) => a.kind);
    expect(kinds.lastIndexOf("create policy")).toBeLessThan(kinds.indexOf("create token"));
    expect(kinds.filter((k) => k === "create policy")).toHaveLength(desired.policies.length);
    expect(kinds.filter((k) => k === "create token")).toHaveLength(desired.tokens.length);
    expect(JSON.stringify(actions)).not.toContain(SECRETS.get("consul-traefik").reveal());
  });

  it("nothing to do when Consul holds them all; changed rules or policies are repaired, others' tokens left", () => {
    const now = applied();
    now.tokens.push({ AccessorID: "someone-else", Description: "hand-made", Policies: [] });
    expect(aclActions(desired, now, SECRETS)).toEqual([]);
    const edited = applied();
    (edited.policies[0] as AclPolicy).Rules = 'key_prefix "" { policy = "write" }';
    (edited.tokens[1] as AclToken).Policies = [];
    expect(aclActions(desired, edited, SECRETS).map((a) => [a.kind, a.name])).toEqual([
      ["update policy", desired.policies[0]?.name],
      ["update token", desired.tokens[1]?.description],
    ]);
  });

  it("AccessorIDs are derived from the SecretID: stable, UUID-shaped, and not the secret", () => {
    const s = SECRETS.get("consul-traefik").reveal();
    expect(accessorIdOf(s)).toBe(accessorIdOf(s));
    expect(accessorIdOf(s)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(accessorIdOf(s)).not.toBe(s);
  });
});
