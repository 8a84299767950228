import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cluster, desiredFiles, host, inventory, parseHcl, SECRETS } from "../unit/render-fixtures.js";

/**
 * The keys Nomad 1.10.5's agent config accepts, extracted from its Go structs: a verbatim copy of the shared
 * reference/nomad-structs/nomad-agent-config-keys.json (see reference/SOURCES.md), so a fresh clone can run it.
 */
const KEYS_FILE = new URL("./render-nomad-agent-config-keys.json", import.meta.url);

interface KeyDef {
  key: string;
  valueType: string;
}
interface BlockDef {
  label?: unknown;
  keys: KeyDef[];
}
const schema = JSON.parse(readFileSync(KEYS_FILE, "utf8")) as {
  topLevel: BlockDef;
  blocks: Record<string, BlockDef>;
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Problems of one value against its declared type; blocks recurse. */
function checkValue(where: string, def: KeyDef, value: unknown, blockPath: string): string[] {
  const t = def.valueType;
  if (t === "block" || t === "block(repeatable)") {
    const sub = schema.blocks[blockPath];
    if (!sub) return [`${where}: no definition for block "${blockPath}"`];
    // hcl2json gives each block as a list of bodies; a labelled block as { label: [bodies] }.
    const bodies = Array.isArray(value) ? value : [];
    if (bodies.length === 0 && !(sub.label && isObject(value))) return [`${where}: expected a block`];
    if (t === "block" && bodies.length > 1) return [`${where}: block repeated`];
    const labelled = sub.label && isObject(value) ? Object.values(value).flat() : bodies;
    return labelled.flatMap((body, i) =>
      isObject(body)
        ? checkBody(`${where}[${i}]`, sub, body, blockPath)
        : [`${where}[${i}]: not a block body`],
    );
  }
  if (t.startsWith("map(")) {
    if (!isObject(value)) return [`${where}: expected a map`];
    // Map keys (client.meta, client.options …) are free-form; their values must be strings for map(string).
    if (t === "map(string)") {
      return Object.entries(value)
        .filter(([, v]) => typeof v !== "string")
        .map(([k]) => `${where}.${k}: expected a string`);
    }
    return [];
  }
  if (t === "list(string)") {
    return Array.isArray(value) && value.every((v) => typeof v === "string")
      ? []
      : [`${where}: expected a list of strings`];
  }
  const expected = t === "bool" ? "boolean" : t === "int" || t === "float" ? "number" : "string";
  if (typeof value !== expected) return [`${where}: expected ${t}, got ${JSON.stringify(value)}`];
  if (t === "int" && !Number.isInteger(value)) return [`${where}: expected an integer`];
  return [];
}

/** Every key of `body` must be declared in `def`, at every level. */
function checkBody(where: string, def: BlockDef, body: Record<string, unknown>, blockPath: string): string[] {
  return Object.entries(body).flatMap(([key, value]) => {
    const keyDef = def.keys.find((k) => k.key === key);
    const at = where ? `${where}.${key}` : key;
    if (!keyDef) return [`${at}: unknown key`];
    return checkValue(at, keyDef, value, blockPath ? `${blockPath}.${key}` : key);
  });
}

/** Problems of a nomad.hcl: parsed by the real HCL parser, every key checked against Nomad's structs. */
async function nomadConfigProblems(text: string): Promise<string[]> {
  return checkBody("", schema.topLevel, await parseHcl(text, "nomad.hcl"), "");
}

function nomadConfigs(): [string, string][] {
  const invs = [
    cluster(),
    inventory(
      [1, 2, 3].map((i) =>
        host(`both-${i}`, i, ["server", "client"], { nodeClass: "c", meta: { "a.b": "x" } }),
      ),
    ),
    inventory([host("solo", 1, ["server", "client", "edge", "observe"])], { singleServer: true }),
  ];
  return invs.flatMap((inv) =>
    inv.hosts.flatMap((h) =>
      desiredFiles(inv, h, SECRETS)
        .filter((f) => f.path === "/etc/nomad.d/nomad.hcl")
        .map((f): [string, string] => [h.name, f.content]),
    ),
  );
}

describe("rendered nomad.hcl against Nomad 1.10.5's config structs", () => {
  it("every config (server, client, server+client, single server) uses only keys Nomad knows", async () => {
    const configs = nomadConfigs();
    expect(configs.map(([name]) => name)).toEqual([
      "server-2",
      "server-1",
      "server-3",
      "client-1",
      "client-2",
      "both-1",
      "both-2",
      "both-3",
      "solo",
    ]);
    for (const [name, text] of configs)
      expect(await nomadConfigProblems(text), `${name}:\n${text}`).toEqual([]);
  });

  it("finds a misspelt key at any level, an unknown block and a value of the wrong type", async () => {
    const text = nomadConfigs().find(([name]) => name === "both-1")?.[1] ?? "";
    const cases: [string, string, string][] = [
      ["bootstrap_expect", "bootstrap_expext", "server[0].bootstrap_expext: unknown key"],
      ["retry_join", "retry_joins", "server[0].server_join[0].retry_joins: unknown key"],
      ["node_class", "nodeclass", "client[0].nodeclass: unknown key"],
      ["datacenter =", "datacentre =", "datacentre: unknown key"],
      ["cleanup_dead_servers", "cleanup_dead_server", "autopilot[0].cleanup_dead_server: unknown key"],
      ["advertise {", "advertize {", "advertize: unknown key"],
      ["bootstrap_expect = 3", 'bootstrap_expect = "3"', 'server[0].bootstrap_expect: expected int, got "3"'],
    ];
    for (const [from, to, problem] of cases) {
      expect(text).toContain(from);
      expect(await nomadConfigProblems(text.replace(from, to)), to).toContain(problem);
    }
  });

  it("fails on text the HCL parser cannot read", async () => {
    await expect(nomadConfigProblems('name = "unterminated\n')).rejects.toThrow();
  });
});
