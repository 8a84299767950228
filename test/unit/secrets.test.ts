import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OperationError } from "../../src/errors.js";
import {
  generateGossipKey,
  isGossipKey,
  revealSecrets,
  Secret,
  type SecretSpec,
  SecretStore,
} from "../../src/secrets/index.js";

let dir: string;
let stateDir: string;
const modeOf = async (p: string) => ((await stat(p)).mode & 0o777).toString(8).padStart(4, "0");
const gossip = (name: string): SecretSpec => ({
  name,
  generate: generateGossipKey,
  valid: isGossipKey,
  describe: "a base64 32-byte key",
});
const SPECS = [gossip("consul-gossip"), gossip("nomad-gossip")];
const load = (specs = SPECS) => new SecretStore(stateDir).load(specs);
const secretsDir = () => path.join(stateDir, "secrets");

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "np-secrets-"));
  stateDir = path.join(dir, ".np");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("SecretStore", () => {
  it("creates each named secret once, 0600 in a 0700 folder, and different from the others", async () => {
    const s = await load();
    const consul = s.get("consul-gossip").reveal();
    const nomad = s.get("nomad-gossip").reveal();
    expect(isGossipKey(consul) && isGossipKey(nomad)).toBe(true);
    expect(consul).not.toBe(nomad);
    expect(await modeOf(secretsDir())).toBe("0700");
    for (const name of ["consul-gossip", "nomad-gossip"]) {
      expect(await modeOf(path.join(secretsDir(), name))).toBe("0600");
    }
    expect(await readFile(path.join(secretsDir(), "consul-gossip"), "utf8")).toBe(`${consul}\n`);
    // No temporary file left behind.
    expect((await readdir(secretsDir())).sort()).toEqual(["consul-gossip", "nomad-gossip"]);
  });

  it("keeps a 0700 folder and 0600 files even under a permissive umask", async () => {
    const old = process.umask(0);
    try {
      await load();
    } finally {
      process.umask(old);
    }
    expect(await modeOf(secretsDir())).toBe("0700");
    expect(await modeOf(path.join(secretsDir(), "nomad-gossip"))).toBe("0600");
  });

  it("reads the same values back on later runs, without rewriting the files", async () => {
    const first = await load();
    const file = path.join(secretsDir(), "consul-gossip");
    const before = await stat(file);
    const second = await load();
    expect(second.get("consul-gossip").reveal()).toBe(first.get("consul-gossip").reveal());
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  it("concurrent first runs agree on one value per secret", async () => {
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => load()));
    const values = all.map((s) => s.get("nomad-gossip").reveal());
    expect(new Set(values).size).toBe(1);
    expect((await readdir(secretsDir())).sort()).toEqual(["consul-gossip", "nomad-gossip"]);
  });

  it("keeps reading the gossip keys of a cluster made by an earlier np (.np/secrets/gossip.json)", async () => {
    const legacy = { consulGossipKey: generateGossipKey(), nomadGossipKey: generateGossipKey() };
    await mkdir(secretsDir(), { recursive: true, mode: 0o700 });
    await writeFile(path.join(secretsDir(), "gossip.json"), JSON.stringify(legacy), { mode: 0o600 });
    const s = await load();
    expect(s.get("consul-gossip").reveal()).toBe(legacy.consulGossipKey);
    expect(s.get("nomad-gossip").reveal()).toBe(legacy.nomadGossipKey);
    expect(await readdir(secretsDir())).toEqual(["gossip.json"]);
  });

  it("refuses a secret file that group or others can read, naming the file and the fix", async () => {
    await load();
    const file = path.join(secretsDir(), "consul-gossip");
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(file, mode);
      const err = await load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as OperationError).message).toContain(file);
      expect((err as OperationError).message).toContain(`mode 0${mode.toString(8)}`);
      expect((err as OperationError).hint).toBe(`make it private with: chmod 600 ${file}`);
    }
    await chmod(file, 0o600);
    await expect(load()).resolves.toBeDefined();
  });

  it("a damaged secret is named, never printed", async () => {
    const s = await load();
    const nomad = s.get("nomad-gossip").reveal();
    await writeFile(path.join(secretsDir(), "consul-gossip"), "short\n");
    const damaged = (await load().catch((e: unknown) => e)) as OperationError;
    expect(damaged.message).toMatch(/consul-gossip is damaged: it does not hold a base64 32-byte key/);
    await writeFile(path.join(secretsDir(), "gossip.json"), `{"consulGossipKey": "${nomad}", oops`, {
      mode: 0o600,
    });
    const notJson = (await load().catch((e: unknown) => e)) as OperationError;
    expect(notJson.message).toMatch(/gossip\.json is damaged: it is not valid JSON/);
    expect(`${notJson.message} ${notJson.hint}`).not.toContain(nomad.slice(0, 8));
  });

  it("asking for a secret that was not loaded is a programming error", async () => {
    const s = await load([gossip("consul-gossip")]);
    expect(() => s.get("nomad-gossip")).toThrow(/was not loaded/);
  });
});

describe("Secret", () => {
  it("prints as [secret] through inspect, JSON and template strings; reveal() gives the value", () => {
    const s = new Secret("hunter2-very-secret");
    for (const shown of [
      inspect(s),
      JSON.stringify(s),
      `${s}`,
      JSON.stringify({ s }),
      inspect({ deep: [s] }),
    ]) {
      expect(shown).not.toContain("hunter2");
      expect(shown).toContain("[secret]");
    }
    expect(s.reveal()).toBe("hunter2-very-secret");
  });

  it("revealSecrets gives plain data and says whether it held a secret", () => {
    const plain = revealSecrets({ a: 1, b: ["x", { c: null }] });
    expect(plain).toEqual({ value: { a: 1, b: ["x", { c: null }] }, holdsSecret: false });
    const withSecret = revealSecrets({ a: { key: new Secret("k") }, list: [new Secret("l")] });
    expect(withSecret).toEqual({ value: { a: { key: "k" }, list: ["l"] }, holdsSecret: true });
  });
});
