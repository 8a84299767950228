import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as openpgp from "openpgp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HASHICORP_RELEASE_KEY_FINGERPRINT } from "../../src/artifacts/hashicorp-release-key.js";
import { NODEJS_RELEASE_KEYS } from "../../src/artifacts/nodejs-release-keys.js";
import { fingerprintOf, loadTrustedKeys, verifyChecksumsSignature } from "../../src/artifacts/signature.js";
import { InputError, OperationError } from "../../src/errors.js";

// A copy of the releases.hashicorp.com layout signed with hc-install's TEST key 2FCA0A85 (gpg --verify accepts it).
// Copies of the reference fixtures (test/fixtures/README.md).
const REF = fileURLToPath(new URL("../fixtures/release-signing", import.meta.url));
const TEST_KEY = path.join(REF, "2FCA0A85.pub");
const TEST_FPR = "719106194588D5BF6D670723B5EEA6B02FCA0A85";
const SUMS_NAME = "terraform_0.14.11_SHA256SUMS";
const read = (file: string) => readFileSync(path.join(REF, file));
const sums = read(SUMS_NAME);
const sig = { name: `${SUMS_NAME}.sig`, data: read(`${SUMS_NAME}.sig`) };
const suffixed = { name: `${SUMS_NAME}.2FCA0A85.sig`, data: read(`${SUMS_NAME}.2FCA0A85.sig`) };

describe("SHA256SUMS signature checking (skipped when the reference fixtures are absent)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "np-sig-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("the built-in key is HashiCorp's release key C874 011F … 72D7 468F", async () => {
    const keys = await loadTrustedKeys("hashicorp", []);
    expect(keys.map(fingerprintOf)).toEqual([HASHICORP_RELEASE_KEY_FINGERPRINT]);
    expect(HASHICORP_RELEASE_KEY_FINGERPRINT).toBe("C874011F0AB405110D02105534365D9472D7468F");
    const published = await openpgp.readKey({
      armoredKey: readFileSync(path.join(REF, "hashicorp-security-pubkey.asc"), "utf8"),
    });
    expect(fingerprintOf(published)).toBe(HASHICORP_RELEASE_KEY_FINGERPRINT);
  });

  it("the Node.js keys are the 9 active releasers' primary keys, each with the fingerprint it is listed under", async () => {
    const keys = await loadTrustedKeys("nodejs", []);
    expect(keys.map(fingerprintOf)).toEqual(NODEJS_RELEASE_KEYS.map((k) => k.fingerprint));
    expect(NODEJS_RELEASE_KEYS.map((k) => k.fingerprint)).toEqual([
      "5BE8A3F6C8A5C01D106C0AD820B1A390B168D356", // Antoine du Hamel
      "DD792F5973C6DE52C432CBDAC77ABFA00DDBF2B7", // Juan José Arboleda
      "CC68F5A3106FF448322E48ED27F5E38D5B0A215F", // Marco Ippolito
      "8FCCA13FEF1D0C2E91008E09770F7A9A5AE15600", // Michaël Zasso
      "890C08DB8579162FEE0DF9DB8BEAB4DFCF555EF4", // Rafael Gonzaga
      "C82FA3AE1CBEDC6BE46B9360C43CEC45C17AB93C", // Richard Lau
      "108F52B48DB57BB0CC439B2997B01419BD92F80A", // Ruy Adorno
      "655F3B5C1FB3FA8D1A0CA6BDE4A7D232B936D2FD", // Stewart X Addison
      "A363A499291CBBC940DD62E41F10027AF002F8B0", // Ulises Gascón
    ]);
    for (const [i, k] of keys.entries())
      expect(k.getUserIDs().join(" ")).toContain(NODEJS_RELEASE_KEYS[i]?.name.replace(/^.* </, "<"));
    // Neither vendor's keys vouch for the other's checksums.
    expect(keys.map(fingerprintOf)).not.toContain(HASHICORP_RELEASE_KEY_FINGERPRINT);
    const err = await verifyChecksumsSignature(SUMS_NAME, sums, [sig], keys).catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      `tried ${NODEJS_RELEASE_KEYS.map((k) => k.fingerprint).join(", ")})`,
    );
  });

  it("the test-key-signed layout verifies when the test key is trusted (plain and key-suffixed .sig)", async () => {
    const keys = await loadTrustedKeys("hashicorp", [TEST_KEY]);
    expect(await verifyChecksumsSignature(SUMS_NAME, sums, [sig], keys)).toBe(sig.name);
    expect(await verifyChecksumsSignature(SUMS_NAME, sums, [suffixed], keys)).toBe(suffixed.name);
  });

  it("FAILS with HashiCorp's key alone, naming the SHA256SUMS file, the keys tried and the signer", async () => {
    const keys = await loadTrustedKeys("hashicorp", []);
    const err = await verifyChecksumsSignature(SUMS_NAME, sums, [suffixed, sig], keys).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OperationError);
    const message = (err as Error).message;
    expect(message).toContain(`${SUMS_NAME}: the signature does not verify with any trusted key`);
    expect(message).toContain(`tried ${HASHICORP_RELEASE_KEY_FINGERPRINT}`);
    expect(message).toContain("signed by key ID B5EEA6B02FCA0A85");
    expect(message).toContain("refusing to install it");
  });

  it("a tampered SHA256SUMS fails even with the right key", async () => {
    const keys = await loadTrustedKeys("hashicorp", [TEST_KEY]);
    const text = sums.toString("utf8");
    const tampered = Buffer.from(text.replace(/^87a881f7/, "00000000"));
    expect(tampered.equals(sums)).toBe(false);
    const err = await verifyChecksumsSignature(SUMS_NAME, tampered, [sig], keys).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as Error).message).toContain(`tried ${HASHICORP_RELEASE_KEY_FINGERPRINT}, ${TEST_FPR}`);
  });

  it("garbage in place of a signature is refused, not crashed on", async () => {
    const keys = await loadTrustedKeys("hashicorp", [TEST_KEY]);
    const junk = { name: `${SUMS_NAME}.sig`, data: Buffer.from("<html>404</html>") };
    await expect(verifyChecksumsSignature(SUMS_NAME, sums, [junk], keys)).rejects.toThrow(
      /not an OpenPGP signature/,
    );
  });

  it("an unreadable or non-key trusted_keys file is an input error naming the file", async () => {
    const bad = path.join(tmp, "bad.asc");
    await writeFile(bad, "not a key\n");
    await expect(loadTrustedKeys("hashicorp", [bad])).rejects.toThrow(InputError);
    await expect(loadTrustedKeys("hashicorp", [bad])).rejects.toThrow(
      `${bad} is not an armored PGP public key`,
    );
    await expect(loadTrustedKeys("hashicorp", [path.join(tmp, "missing.asc")])).rejects.toThrow(
      "cannot read",
    );
  });
});
