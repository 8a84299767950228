import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OperationError } from "../../src/errors.js";
import { gossipFile, isGossipKey, loadOrCreateSecrets } from "../../src/secrets/index.js";

let dir: string;
let stateDir: string;
const modeOf = async (p: string) => ((await stat(p)).mode & 0o777).toString(8).padStart(4, "0");

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "np-secrets-"));
  stateDir = path.join(dir, ".np");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadOrCreateSecrets", () => {
  it("creates two different 32-byte base64 keys in a 0600 file inside a 0700 folder", async () => {
    const secrets = await loadOrCreateSecrets(stateDir);
    expect(isGossipKey(secrets.consulGossipKey)).toBe(true);
    expect(isGossipKey(secrets.nomadGossipKey)).toBe(true);
    expect(Buffer.from(secrets.consulGossipKey, "base64")).toHaveLength(32);
    expect(secrets.consulGossipKey).not.toBe(secrets.nomadGossipKey);
    const file = path.join(stateDir, "secrets", "gossip.json");
    expect(gossipFile(stateDir)).toBe(file);
    expect(await modeOf(file)).toBe("0600");
    expect(await modeOf(path.join(stateDir, "secrets"))).toBe("0700");
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ ...secrets });
    // No temporary file left behind.
    expect(await readdir(path.join(stateDir, "secrets"))).toEqual(["gossip.json"]);
  });

  it("keeps a 0700 folder and 0600 file even under a permissive umask", async () => {
    const old = process.umask(0);
    try {
      await loadOrCreateSecrets(stateDir);
    } finally {
      process.umask(old);
    }
    expect(await modeOf(path.join(stateDir, "secrets"))).toBe("0700");
    expect(await modeOf(gossipFile(stateDir))).toBe("0600");
  });

  it("reads the same keys back on later runs, without rewriting the file", async () => {
    const first = await loadOrCreateSecrets(stateDir);
    const before = await stat(gossipFile(stateDir));
    const second = await loadOrCreateSecrets(stateDir);
    expect({ ...second }).toEqual({ ...first });
    expect((await stat(gossipFile(stateDir))).ino).toBe(before.ino);
  });

  it("concurrent first runs agree on one set of keys", async () => {
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => loadOrCreateSecrets(stateDir)));
    for (const s of all) expect({ ...s }).toEqual({ ...all[0] });
    expect(await readdir(path.join(stateDir, "secrets"))).toEqual(["gossip.json"]);
  });

  it("refuses a secrets file that group or others can read, naming the file and the fix", async () => {
    await loadOrCreateSecrets(stateDir);
    const file = gossipFile(stateDir);
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(file, mode);
      const err = await loadOrCreateSecrets(stateDir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as OperationError).message).toContain(file);
      expect((err as OperationError).message).toContain(`mode 0${mode.toString(8)}`);
      expect((err as OperationError).hint).toBe(`make it private with: chmod 600 ${file}`);
    }
    await chmod(file, 0o600);
    await expect(loadOrCreateSecrets(stateDir)).resolves.toBeDefined();
  });

  it("a refused or damaged file is never printed in the error", async () => {
    const file = gossipFile(stateDir);
    const { consulGossipKey } = await loadOrCreateSecrets(stateDir);
    await writeFile(file, `{"consulGossipKey": "${consulGossipKey}", "nomadGossipKey": "short"}`);
    const damaged = (await loadOrCreateSecrets(stateDir).catch((e: unknown) => e)) as OperationError;
    expect(damaged.message).toMatch(/damaged: "nomadGossipKey" is missing or not a base64 32-byte key/);
    expect(`${damaged.message} ${damaged.hint}`).not.toContain(consulGossipKey);
    await writeFile(file, `{"consulGossipKey": "${consulGossipKey}", oops`);
    const notJson = (await loadOrCreateSecrets(stateDir).catch((e: unknown) => e)) as OperationError;
    expect(notJson).toBeInstanceOf(OperationError);
    expect(notJson.message).toMatch(/is not valid JSON/);
    expect(`${notJson.message} ${notJson.hint}`).not.toContain(consulGossipKey.slice(0, 8));
  });

  it("secrets print as redacted through inspect, JSON and template strings", async () => {
    const secrets = await loadOrCreateSecrets(stateDir);
    for (const shown of [
      inspect(secrets),
      JSON.stringify(secrets),
      `${secrets}`,
      JSON.stringify({ secrets }),
    ]) {
      expect(shown).not.toContain(secrets.consulGossipKey);
      expect(shown).not.toContain(secrets.nomadGossipKey);
      expect(shown).toContain("redacted");
    }
  });
});
