import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";
import { loadedCode } from "../helpers/loaded-code.js";

const repo = path.resolve(import.meta.dirname, "../..");
/** Dependencies that cost start-up time: each must load only in the commands that use it. */
const HEAVY = ["openpgp", "undici", "zod", "yaml", "ssh2", "handlebars", "listr2", "zx", "fflate"];
const without = (loaded: Set<string>, names: string[]) => names.filter((n) => loaded.has(n));

describe("np loads only the code a command uses (the built np, every module it resolves recorded)", () => {
  it("np --version answers without building the command tree: not even commander loads", () => {
    const r = loadedCode(["--version"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(without(r.packages, [...HEAVY, "commander"])).toEqual([]);
  });

  it.each(["--help", "up --help", "sandbox up --help"])(
    "np %s loads none of the heavy dependencies",
    (line) => {
      const r = loadedCode(line.split(" "));
      expect(r.code, r.stderr).toBe(0);
      expect(without(r.packages, HEAVY)).toEqual([]);
      expect(r.packages.has("commander")).toBe(true); // the trace sees bundled packages at all
    },
  );

  it("np validate loads yaml and zod, and nothing that talks to hosts or verifies releases", () => {
    const r = loadedCode(["validate", "-i", "inventory.example.yaml"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.packages.has("yaml") && r.packages.has("zod")).toBe(true);
    expect(
      without(r.packages, ["ssh2", "openpgp", "undici", "handlebars", "listr2", "zx", "fflate"]),
    ).toEqual([]);
  });

  it("np init writes its files without ssh2, openpgp, undici, handlebars, listr2 or zx", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-init-"));
    const r = loadedCode(["init", "--path", path.join(dir, "inventory.yaml")]);
    expect(r.code, r.stderr).toBe(0);
    expect(without(r.packages, ["ssh2", "openpgp", "undici", "handlebars", "listr2", "zx"])).toEqual([]);
  });

  it("np check loads ssh2's client, not its server or HTTP agents (a host that refuses the connection)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-check-load-"));
    const key = path.join(dir, "id_ed25519");
    writeFileSync(key, generateEd25519KeyPair().private, { mode: 0o600 });
    const inventory = path.join(dir, "inventory.yaml");
    writeFileSync(
      inventory,
      `cluster: { name: t, single_server: true }\nssh: { user: root, key: ${key}, port: 1 }\nhosts:\n  - { name: a, address: 127.0.0.1, roles: [server, client, edge, observe] }\n`,
    );
    const r = loadedCode(["check", "-i", inventory]);
    expect(r.stdout + r.stderr).toMatch(/a \(127\.0\.0\.1\): connection refused/);
    const ssh2Files = r.files.filter((f) => f.includes(`${path.sep}ssh2${path.sep}lib${path.sep}`));
    expect(ssh2Files.some((f) => f.endsWith(path.join("lib", "client.js")))).toBe(true);
    expect(ssh2Files.filter((f) => /(server|http-agents|keygen)\.js$/.test(f))).toEqual([]);
    expect(r.packages.has("undici")).toBe(false);
  });
});
