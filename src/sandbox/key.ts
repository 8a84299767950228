import { chmod, readFile, writeFile } from "node:fs/promises";
import { generateEd25519KeyPair } from "../remote/generate-key.js";

/** Returns the sandbox's public key, generating a fresh ed25519 key pair (private key 0600) when there is none. */
export async function ensureSandboxKey(keyFile: string, comment: string): Promise<string> {
  const existing = await readFile(`${keyFile}.pub`, "utf8").catch(() => undefined);
  const hasPrivate = await readFile(keyFile, "utf8").then(
    () => true,
    () => false,
  );
  if (existing && hasPrivate) {
    await chmod(keyFile, 0o600);
    return existing.trim();
  }
  const pair = generateEd25519KeyPair({ comment });
  await writeFile(keyFile, pair.private, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  await writeFile(`${keyFile}.pub`, `${pair.public.trim()}\n`, { mode: 0o644 });
  return pair.public.trim();
}
