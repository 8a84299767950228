// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${" here is HCL interpolation syntax under test, not a JS template
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadClusterSecrets } from "../../src/cluster/cluster-secrets.js";
import { hclString } from "../../src/render/index.js";
import type { SecretValues } from "../../src/secrets/index.js";
import { consulBinary, consulMissing } from "../helpers/consul-binary.js";
import { desiredFiles, host, inventory, SECRETS } from "../unit/render-fixtures.js";

const run = promisify(execFile);
const FETCH = fileURLToPath(new URL("../tools/fetch-consul.sh", import.meta.url));

let work: string;
let secrets: SecretValues;
let missing: string | null = null;

/** `consul validate DIR` of a config dir holding only `text`: exit code and all output. */
async function validate(text: string): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(path.join(work, "cfg-"));
  await writeFile(path.join(dir, "consul.hcl"), text);
  try {
    const r = await run(consulBinary, ["validate", dir]);
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message };
  }
}

/** 3 servers, 2 clients (one with node class and meta), an edge and an observe host. */
function cluster(consul: string) {
  return inventory(
    [
      host("server-1", 11, ["server"]),
      host("server-2", 12, ["server"]),
      host("server-3", 13, ["server"]),
      host("client-1", 21, ["client"], { nodeClass: "web", meta: { rack: "r1" } }),
      host("client-2", 22, ["client"]),
      host("edge-1", 31, ["edge"]),
      host("observe-1", 41, ["observe"]),
    ],
    { consul },
  );
}

function consulConfigs(consul: string): [string, string][] {
  const inv = cluster(consul);
  return inv.hosts.map((h) => {
    const file = desiredFiles(inv, h, secrets).find((f) => f.path.endsWith("/consul.hcl"));
    if (!file) throw new Error(`no consul.hcl for ${h.name}`);
    return [h.name, file.content];
  });
}

beforeAll(async () => {
  if (!process.env.NP_TEST_CONSUL && !existsSync(consulBinary)) {
    await run(FETCH, [path.dirname(consulBinary)], { timeout: 240_000 }).catch((err: Error) =>
      console.warn(`fetch-consul.sh failed: ${err.message}`),
    );
  }
  missing = consulMissing();
  work = await mkdtemp(path.join(tmpdir(), "np-consul-validate-"));
  // Real keys as np generates them: `consul validate` decodes `encrypt` and refuses a bad key.
  // Tokens and certificates too, as np makes them (the TLS files' paths are only named in consul.hcl).
  secrets = (await loadClusterSecrets({ ...cluster("1.8.7"), dir: work })).secrets;
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("rendered consul.hcl against the real Consul 1.8.7", () => {
  it("the binary is Consul 1.8.7", async (ctx) => {
    if (missing) return ctx.skip(missing);
    expect((await run(consulBinary, ["version"])).stdout).toMatch(/^Consul v1\.8\.7$/m);
  });

  it("every host's config (servers, clients, edge, observe) passes `consul validate`", async (ctx) => {
    if (missing) return ctx.skip(missing);
    const configs = consulConfigs("1.8.7");
    expect(configs.filter(([, text]) => /^server += true$/m.test(text))).toHaveLength(3);
    for (const [name, text] of configs) {
      const r = await validate(text);
      expect(r, `${name}:\n${text}`).toEqual({
        ok: true,
        output: expect.stringContaining("Configuration is valid!"),
      });
    }
  });

  it("the same binary rejects the config np writes for Consul 1.12 (ui_config), so the check can fail", async (ctx) => {
    if (missing) return ctx.skip(missing);
    const server = consulConfigs("1.12.0").find(([name]) => name === "server-1")?.[1] ?? "";
    expect(server).toContain("ui_config {");
    const r = await validate(server);
    expect(r.ok).toBe(false);
    expect(r.output).toContain("invalid config key ui_config");
  });

  it("the same binary rejects the tls stanza np writes for Consul 1.12 and later (1.8 reads the old keys)", async (ctx) => {
    if (missing) return ctx.skip(missing);
    const server = consulConfigs("1.12.0").find(([name]) => name === "server-1")?.[1] ?? "";
    expect(server).toMatch(/^tls \{$/m);
    const r = await validate(server.replace(/ui_config \{\n {2}enabled = true\n\}\n/, "ui = true\n"));
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/invalid config key tls/);
  });

  it("rejects an ACL block with a misspelt key, so the ACL settings are checked too", async (ctx) => {
    if (missing) return ctx.skip(missing);
    const server = consulConfigs("1.8.7").find(([name]) => name === "server-1")?.[1] ?? "";
    const r = await validate(server.replace("default_policy", "default_polcy"));
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/invalid config key acl\.default_polcy/);
  });

  it("rejects a gossip key that is not base64 (1.8.7 checks only that; np's keys are 32 bytes)", async (ctx) => {
    if (missing) return ctx.skip(missing);
    const client = consulConfigs("1.8.7").find(([name]) => name === "client-1")?.[1] ?? "";
    const r = await validate(
      client.replace(
        secrets.get("consul-gossip").reveal(),
        `!${secrets.get("consul-gossip").reveal().slice(1)}`,
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/encrypt has invalid key/);
  });

  it("Consul's HCL parser reads hclString's escapes back as the exact value", async (ctx) => {
    if (missing) return ctx.skip(missing);
    // Consul refuses a node_meta key with a space and quotes the pair it parsed in the error: the value as read.
    for (const value of [
      'say "hi"',
      "back\\slash",
      "${x}",
      "%{ if }",
      "$${y",
      "x${",
      'end\\"',
      "tab\there",
    ]) {
      const r = await validate(
        `data_dir = "/x"\nbind_addr = "127.0.0.1"\nnode_meta {\n  ${hclString("bad key")} = ${hclString(value)}\n}\n`,
      );
      expect(r.ok, value).toBe(false);
      expect(r.output, value).toContain(`Couldn't load metadata pair ('bad key', '${value}')`);
    }
  });
});

describe("every file np puts in Consul's config folder", () => {
  it("passes consul validate together, on every host (service definitions of Traefik and OpenObserve included)", async (ctx) => {
    if (missing) return ctx.skip(missing);
    const inv = cluster("1.8.7");
    const seen = new Set<string>();
    for (const h of inv.hosts) {
      // Consul loads only the files directly in its folder (its TLS files are in tls/, named by consul.hcl).
      const files = desiredFiles(inv, h, SECRETS).filter((f) => /^\/etc\/consul\.d\/[^/]+$/.test(f.path));
      const dir = await mkdtemp(path.join(work, `dir-${h.name}-`));
      for (const f of files) {
        await writeFile(path.join(dir, path.basename(f.path)), f.content);
        seen.add(path.basename(f.path));
      }
      const r = await run(consulBinary, ["validate", dir]).then(
        (x) => ({ ok: true, output: x.stdout + x.stderr }),
        (e: { stdout?: string; stderr?: string }) => ({
          ok: false,
          output: `${e.stdout ?? ""}${e.stderr ?? ""}`,
        }),
      );
      expect(r, `${h.name}: ${files.map((f) => f.path).join(", ")}`).toMatchObject({ ok: true });
    }
    expect([...seen].sort()).toEqual(["consul.hcl", "openobserve.json", "traefik.json"]);
  });
});
