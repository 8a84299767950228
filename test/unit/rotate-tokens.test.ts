import { describe, expect, it } from "vitest";
import { accessorIdOf, CONSUL_TOKEN, MANAGEMENT_TOKEN } from "../../src/components/consul/index.js";
import { NOMAD_MANAGEMENT, NOMAD_TOKEN } from "../../src/components/nomad/index.js";
import type { DesiredFile } from "../../src/render/index.js";
import { consulTokenRequest } from "../../src/rotate/consul-tokens.js";
import { NOMAD_MANAGEMENT_NAME, nomadTokenName } from "../../src/rotate/nomad-tokens.js";
import { lighten } from "../../src/rotate/pass.js";
import { CREDENTIALS, TOKEN_RELOADING_UNITS } from "../../src/rotate/registry.js";
import { planTokens, type TokenFiles } from "../../src/rotate/token-plan.js";
import { tokensHeldBy } from "../../src/rotate/tokens.js";
import { cluster, hostOf, SECRETS } from "./render-fixtures.js";

const plan = (files: Record<string, TokenFiles>) =>
  Object.fromEntries(planTokens(new Map(Object.entries(files))));

describe("what a token rotation still owes, from .np/secrets alone", () => {
  it("a fresh rotation makes a new token for every token np holds, and none for one np up has not made", () => {
    expect(plan({ a: { current: "A" }, b: { current: "B" }, c: {} })).toEqual({
      a: "new",
      b: "new",
      c: "skip",
    });
  });

  it("cut during the creations: the saved ones are made (again, idempotently), the others still get one", () => {
    expect(plan({ a: { current: "A", next: "A2" }, b: { current: "B" } })).toEqual({ a: "made", b: "new" });
  });

  it("cut during the switch: the switched ones owe their deletion, the saved ones their switch; no new token", () => {
    expect(
      plan({
        a: { current: "A2", retiring: "A" },
        b: { current: "B", next: "B2" },
        c: { current: "C2", next: "C2", retiring: "C" },
      }),
    ).toEqual({ a: "switched", b: "made", c: "made" });
  });

  it("cut during the deletions: the deleted ones are done and are not rotated again", () => {
    expect(plan({ a: { current: "A2" }, b: { current: "B2", retiring: "B" } })).toEqual({
      a: "skip",
      b: "switched",
    });
  });
});

describe("how a token-only file change takes effect", () => {
  const file = (restarts: string[], reloads?: string[]) =>
    ({
      path: "/x",
      content: "x",
      mode: "0640",
      owner: "root",
      group: "root",
      restarts,
      reloads,
    }) as DesiredFile;

  it("reloads Consul (it re-reads its tokens on SIGHUP) and only Consul; the others restart by their policies", () => {
    expect([...TOKEN_RELOADING_UNITS]).toEqual(["consul"]);
    expect(lighten(file(["consul"]), "reload")).toMatchObject({ restarts: [], reloads: ["consul"] });
    expect(lighten(file(["nomad"]), "reload")).toMatchObject({ restarts: ["nomad"], reloads: [] });
    expect(lighten(file([], ["consul"]), "reload")).toMatchObject({ restarts: [], reloads: ["consul"] });
    expect(lighten(file(["consul", "np-agent"]), "none")).toMatchObject({ restarts: [], reloads: [] });
  });
});

describe("the tokens np keeps", () => {
  const inv = cluster();

  it("every Consul and Nomad token, np's management tokens first", () => {
    const systems = CREDENTIALS.flatMap((c) => (c.tokens ? [c.tokens] : []));
    expect(systems.map((s) => [s.service, s.secretBy])).toEqual([
      ["consul", "np"],
      ["nomad", "system"],
    ]);
    const [consul, nomad] = systems.map((s) => s.tokens(inv).map((t) => t.name));
    expect(consul?.[0]).toBe(MANAGEMENT_TOKEN.name);
    expect(consul).toEqual(
      expect.arrayContaining([
        CONSUL_TOKEN.agent("client-1"),
        CONSUL_TOKEN.npAgent("edge-1"),
        CONSUL_TOKEN.nomadServer,
        CONSUL_TOKEN.nomadClient,
        CONSUL_TOKEN.traefik,
        CONSUL_TOKEN.traefikService,
        CONSUL_TOKEN.openobserveService,
      ]),
    );
    expect(nomad).toEqual([
      NOMAD_MANAGEMENT.name,
      NOMAD_TOKEN.apps,
      NOMAD_TOKEN.npAgent("client-1"),
      NOMAD_TOKEN.npAgent("client-2"),
    ]);
  });

  it("a new Consul token has the old one's rights, np's derived AccessorID and the management policy for np's own", () => {
    const s = "6f1c2f0e-8d1b-4b7e-9a51-0c6f3c1d2e3f";
    expect(consulTokenRequest(inv, CONSUL_TOKEN.agent("edge-1"), s)).toEqual({
      AccessorID: accessorIdOf(s),
      SecretID: s,
      Description: "np: Consul agent on edge-1",
      Policies: [],
      NodeIdentities: [{ NodeName: "edge-1", Datacenter: "dc1" }],
    });
    expect(consulTokenRequest(inv, MANAGEMENT_TOKEN.name, s).Policies).toEqual([
      { Name: "global-management" },
    ]);
    expect(() => consulTokenRequest(inv, "consul-unknown", s)).toThrow(/no Consul token/);
  });

  it("names np's Nomad tokens as np up made them (what a sweep of unsaved ones looks for)", () => {
    expect(nomadTokenName(inv, NOMAD_TOKEN.apps)).toBe("np: app commands");
    expect(nomadTokenName(inv, NOMAD_TOKEN.npAgent("client-2"))).toBe("np: np-agent on client-2");
    expect(nomadTokenName(inv, NOMAD_MANAGEMENT.name)).toBe(NOMAD_MANAGEMENT_NAME);
  });

  it("says which tokens each host holds in its files (np's own are on no host)", () => {
    const old = new Map(
      [
        MANAGEMENT_TOKEN.name,
        NOMAD_MANAGEMENT.name,
        NOMAD_TOKEN.apps,
        CONSUL_TOKEN.agent("client-2"),
        CONSUL_TOKEN.agent("server-1"),
        CONSUL_TOKEN.traefik,
        CONSUL_TOKEN.nomadClient,
        NOMAD_TOKEN.npAgent("client-2"),
      ].map((n) => [n, "00000000-0000-4000-8000-000000000000"]),
    );
    expect(tokensHeldBy(inv, hostOf(inv, "client-2"), SECRETS, old)).toEqual([
      CONSUL_TOKEN.agent("client-2"),
      CONSUL_TOKEN.traefik,
      CONSUL_TOKEN.nomadClient,
      NOMAD_TOKEN.npAgent("client-2"),
    ]);
    expect(tokensHeldBy(inv, hostOf(inv, "server-1"), SECRETS, old)).toEqual([
      CONSUL_TOKEN.agent("server-1"),
    ]);
  });
});
