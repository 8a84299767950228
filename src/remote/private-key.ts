import { readFile } from "node:fs/promises";
import type ssh2 from "ssh2";
import { parseKey } from "./ssh2.js";

/** A private key as ssh2 parsed it, ready for publickey authentication. */
export type ParsedKey = ssh2.ParsedKey;

// One parse per key file and passphrase per np run: an encrypted key's bcrypt KDF costs seconds of CPU (on the
// event loop) and, done again for every host, kept the other hosts' handshakes waiting past their timeouts.
const parsed = new Map<string, Promise<ParsedKey>>();

/**
 * Reads and parses (decrypting with `passphrase`) a private key file, once per run. Fails with ssh2's own
 * messages ("Cannot parse privateKey: Encrypted private OpenSSH key detected, but no passphrase given", …), which
 * connectError turns into the host's error; a file np cannot read fails with KeyFileUnreadable. A failed parse is
 * kept too: every host of the run would fail the same way.
 */
export function loadPrivateKey(file: string, passphrase: string | undefined): Promise<ParsedKey> {
  const id = `${file}\0${passphrase ?? ""}`;
  let key = parsed.get(id);
  if (!key) {
    key = parse(file, passphrase);
    parsed.set(id, key);
  }
  return key;
}

export class KeyFileUnreadable extends Error {}

async function parse(file: string, passphrase: string | undefined): Promise<ParsedKey> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new KeyFileUnreadable((err as Error).message);
  }
  const result = parseKey(data, passphrase);
  if (result instanceof Error) throw new Error(`Cannot parse privateKey: ${result.message}`);
  const key = Array.isArray(result) ? result[0] : result;
  if (!key || key.getPrivatePEM() === null)
    throw new Error("Cannot parse privateKey: privateKey value does not contain a (valid) private key");
  return key;
}
