import { readFile } from "node:fs/promises";
import * as openpgp from "openpgp";
import { InputError, OperationError } from "../errors.js";
import type { Signer } from "./layout.js";
import { VENDOR_KEYS } from "./trust.js";

/** A detached signature file, by name (as published) and content. */
export interface SignatureFile {
  name: string;
  data: Uint8Array;
}

/**
 * The keys trusted for one vendor's checksums: its release keys built into np (HashiCorp's, or the Node.js
 * releasers') plus every key in `files` (armored public keys: artifacts.trusted_keys, trusted for every vendor).
 */
export async function loadTrustedKeys(
  signer: Signer,
  files: readonly string[],
): Promise<openpgp.PublicKey[]> {
  const keys: openpgp.PublicKey[] = [];
  for (const armoredKeys of VENDOR_KEYS[signer]) keys.push(...(await openpgp.readKeys({ armoredKeys })));
  for (const file of files) keys.push(...(await readKeyFile(file)));
  return keys;
}

async function readKeyFile(file: string): Promise<openpgp.PublicKey[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`artifacts.trusted_keys: cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return (await openpgp.readKeys({ armoredKeys: text })).map((k) => k.toPublic());
  } catch (err) {
    throw new InputError(
      `artifacts.trusted_keys: ${file} is not an armored PGP public key: ${(err as Error).message}`,
      [],
      "export it with `gpg --armor --export KEYID > FILE`",
    );
  }
}

/** A key's fingerprint as gpg prints it, uppercase without spaces. */
export function fingerprintOf(key: openpgp.PublicKey): string {
  return key.getFingerprint().toUpperCase();
}

/**
 * Checks that one of `signatures` is a valid signature of `checksums` by one of `keys`, and returns the name of
 * the signature that verified. Throws OperationError naming the checksums file and the keys tried otherwise.
 */
export async function verifyChecksumsSignature(
  checksumsName: string,
  checksums: Uint8Array,
  signatures: readonly SignatureFile[],
  keys: readonly openpgp.PublicKey[],
): Promise<string> {
  const reasons: string[] = [];
  for (const sig of signatures) {
    try {
      const signature = await openpgp.readSignature({ binarySignature: sig.data });
      const signers = signature.getSigningKeyIDs().map((id) => id.toHex().toUpperCase());
      try {
        await openpgp.verify({
          message: await openpgp.createMessage({ binary: checksums }),
          signature,
          verificationKeys: [...keys],
          expectSigned: true,
        });
        return sig.name;
      } catch (err) {
        reasons.push(`${sig.name} (signed by key ID ${signers.join(", ")}): ${(err as Error).message}`);
      }
    } catch (err) {
      reasons.push(`${sig.name}: not an OpenPGP signature: ${(err as Error).message}`);
    }
  }
  const tried = keys.map(fingerprintOf).join(", ");
  throw new OperationError(
    signatures.length === 0
      ? `${checksumsName} has no signature; refusing to install it`
      : `${checksumsName}: the signature does not verify with any trusted key (tried ${tried}); refusing to install it\n  ${reasons.join("\n  ")}`,
    "the checksums file was tampered with or signed by an unknown key: nothing was installed. If you sign your " +
      "own mirror, add its public key to artifacts.trusted_keys",
  );
}
