import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { HASHICORP_RELEASE_KEY } from "./hashicorp-release-key.js";
import type { Signer } from "./layout.js";
import { NODEJS_RELEASE_KEYS } from "./nodejs-release-keys.js";

/** The armored release keys built into np, per vendor. */
export const VENDOR_KEYS: Record<Signer, readonly string[]> = {
  hashicorp: [HASHICORP_RELEASE_KEY],
  nodejs: NODEJS_RELEASE_KEYS.map((k) => k.armored),
};

/**
 * A digest of everything np trusts for one vendor's checksums: its built-in keys and the content of every
 * `artifacts.trusted_keys` file. A record of an earlier verification counts only while this is unchanged (a key
 * removed from trusted_keys, or a file edited, makes np verify again). Undefined when a key file cannot be read:
 * then np verifies, and says what is wrong with the file.
 */
export async function trustDigest(signer: Signer, files: readonly string[]): Promise<string | undefined> {
  const hash = createHash("sha256");
  const part = (text: string | Uint8Array) => {
    hash.update(String(text.length));
    hash.update(":");
    hash.update(text);
  };
  part(signer);
  for (const key of VENDOR_KEYS[signer]) part(key);
  for (const file of files) {
    part(file);
    try {
      part(await readFile(file));
    } catch {
      return undefined;
    }
  }
  return hash.digest("hex");
}
