import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";
import { KeyFileUnreadable, loadPrivateKey } from "../../src/remote/private-key.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "np-key-"));
const encrypted = path.join(dir, "encrypted_key");
writeFileSync(
  encrypted,
  generateEd25519KeyPair({ passphrase: "s3cret phrase", cipher: "aes256-ctr", rounds: 16 }).private,
  { mode: 0o600 },
);

describe("a private key is read and decrypted once per run, not once per host", () => {
  it("decrypts an encrypted key with its passphrase once; every later host gets the same parsed key", async () => {
    const first = loadPrivateKey(encrypted, "s3cret phrase");
    const again = loadPrivateKey(encrypted, "s3cret phrase");
    expect(again).toBe(first); // the same promise: the bcrypt KDF ran once
    const key = await first;
    expect(key.type).toBe("ssh-ed25519");
    expect(key.getPrivatePEM()).toMatch(/PRIVATE KEY/);
  });

  it("keeps ssh2's messages for a missing or wrong passphrase (np's connect errors read them)", async () => {
    await expect(loadPrivateKey(encrypted, undefined)).rejects.toThrow(
      /Cannot parse privateKey: Encrypted private OpenSSH key detected, but no passphrase given/,
    );
    await expect(loadPrivateKey(encrypted, "wrong")).rejects.toThrow(/Cannot parse privateKey/);
  });

  it("says a key file cannot be read apart from one that cannot be parsed", async () => {
    await expect(loadPrivateKey(path.join(dir, "missing"), undefined)).rejects.toBeInstanceOf(
      KeyFileUnreadable,
    );
    const junk = path.join(dir, "junk");
    writeFileSync(junk, "not a key\n");
    await expect(loadPrivateKey(junk, undefined)).rejects.toThrow(/Cannot parse privateKey/);
  });
});
