import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "@cdktf/hcl2json";
import { desiredHost } from "../../src/components/index.js";
import type { HostSpec, Inventory, Role } from "../../src/inventory/index.js";
import type { DesiredDir, DesiredFile } from "../../src/render/index.js";
import { Secret, type SecretValues } from "../../src/secrets/index.js";

/** Fixed values, so rendered files can be compared byte for byte. */
export const SECRET_VALUES: Record<string, string> = {
  "consul-gossip": "dy71LyusK/lcJ5jzlTX3H9/f2nhPGNyh3TrSYdnFGSA=",
  "nomad-gossip": "IqZqi6aH3YG+QlXWQzwproO6EstifE119PoEwkR3N7Y=",
  "traefik-dashboard": "Dash-board_pass.word-for-the-test",
  "openobserve-root": "Root-pass_word.4-test",
  "openobserve-agent": "Agent-pass_word.4-test",
  "openobserve-ingest-passcode": "Pc0deFixture12345",
};

const pem = (file: string) => readFileSync(new URL(`../fixtures/pki/${file}`, import.meta.url), "utf8");
/** A fixed CA and leaf (test/fixtures/pki: made once by src/pki) for every host's TLS files. */
export const TLS_FIXTURE = { ca: pem("ca.crt"), cert: pem("leaf.crt"), key: pem("leaf.key") };

/** A fixed value for each secret name: Consul and Nomad tokens get a UUID made from their name, TLS files the fixture. */
export function fixtureSecret(name: string): string | undefined {
  if (SECRET_VALUES[name] !== undefined) return SECRET_VALUES[name];
  if (name === "tls-ca-cert") return TLS_FIXTURE.ca;
  if (/^tls-.+-cert$/.test(name)) return TLS_FIXTURE.cert;
  if (/^tls-.+-key$/.test(name)) return TLS_FIXTURE.key;
  if ((name.startsWith("consul-") && name !== "consul-management") || /^nomad-(?!gossip$)/.test(name)) {
    const h = createHash("sha256").update(name).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  return undefined;
}

/** The fixed secrets as a run loads them. */
export const SECRETS: SecretValues = {
  get(name: string): Secret {
    const v = fixtureSecret(name);
    if (v === undefined) throw new Error(`no test value for secret ${name}`);
    return new Secret(v);
  },
  find(name: string): Secret | undefined {
    const v = fixtureSecret(name);
    return v === undefined ? undefined : new Secret(v);
  },
};

/** The files np keeps on `host`, in component order. */
export const desiredFiles = (inv: Inventory, h: HostSpec, secrets: SecretValues = SECRETS): DesiredFile[] =>
  desiredHost(inv, h, secrets).files;

/** The directories np keeps on `host` (a one-server inventory around it when none is given). */
export const desiredDirs = (h: HostSpec, inv: Inventory = inventory([h])): DesiredDir[] =>
  desiredHost(inv, h, SECRETS).dirs;

/** A host with the given roles; address 10.213.7.<octet>, private address 10.213.8.<octet>. */
export function host(name: string, octet: number, roles: Role[], extra: Partial<HostSpec> = {}): HostSpec {
  return {
    name,
    address: `10.213.7.${octet}`,
    privateAddress: `10.213.8.${octet}`,
    roles,
    labels: {},
    meta: {},
    ssh: { user: "root", port: 22, connectTimeoutSec: 10 },
    ...extra,
  };
}

/** An inventory of `hosts`, Consul `consul` (1.8.7 unless said). */
export function inventory(
  hosts: HostSpec[],
  opts: { consul?: string; singleServer?: boolean } = {},
): Inventory {
  return {
    file: "/tmp/np-test/inventory.yaml",
    dir: "/tmp/np-test",
    cluster: { name: "demo", datacenter: "dc1", region: "global", singleServer: opts.singleServer ?? false },
    hosts,
    versions: {
      nomad: "1.10.5",
      consul: opts.consul ?? "1.8.7",
      traefik: "3.7.9",
      openobserve: "0.14.7",
      node: "24.22.3",
    },
    artifacts: { source: "releases", trustedKeys: [] },
    traefik: {},
    openobserve: {},
    preflightOverrides: {},
  };
}

/**
 * 3 servers (listed out of name order, to show the configs do not depend on it), 2 clients (one with a node
 * class and meta), an edge and an observe host.
 */
export function cluster(opts: { consul?: string } = {}): Inventory {
  return inventory(
    [
      host("server-2", 12, ["server"]),
      host("server-1", 11, ["server"]),
      host("server-3", 13, ["server"]),
      host("client-1", 21, ["client"], { nodeClass: "web", meta: { rack: "r1", "zone.id": "z-1" } }),
      host("client-2", 22, ["client", "edge"]),
      host("edge-1", 31, ["edge"]),
      host("observe-1", 41, ["observe"]),
    ],
    opts,
  );
}

/** The private addresses of cluster()'s servers, in name order. */
export const SERVER_ADDRESSES = ["10.213.8.11", "10.213.8.12", "10.213.8.13"];

/** A host of `inv` by name. */
export function hostOf(inv: Inventory, name: string): HostSpec {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

/** An HCL file as JSON, parsed by the real HCL parser (blocks become arrays of objects). */
export async function parseHcl(text: string, name = "config.hcl"): Promise<Record<string, unknown>> {
  return (await parse(name, text)) as Record<string, unknown>;
}

/** The single instance of block `key` of a parsed HCL object. */
export function block(parsed: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parsed[key];
  if (!Array.isArray(value) || value.length !== 1)
    throw new Error(`expected one "${key}" block, got ${JSON.stringify(value)}`);
  return value[0] as Record<string, unknown>;
}

/** Sorted keys of an object. */
export const keys = (o: Record<string, unknown>): string[] => Object.keys(o).sort();
