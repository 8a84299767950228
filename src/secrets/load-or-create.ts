import { readFile } from "node:fs/promises";
import path from "node:path";
import { OperationError } from "../errors.js";
import { createPrivateFileAtomically } from "./atomic-create.js";
import { generateGossipKey, isGossipKey } from "./gossip-key.js";
import { assertPrivateFile, ensurePrivateDir } from "./private-file.js";
import { redacted } from "./redact.js";

/** The secrets every agent of a cluster shares. Never printed: see redacted(). */
export interface ClusterSecrets {
  /** Consul's gossip encryption key (consul.hcl `encrypt`). */
  consulGossipKey: string;
  /** Nomad's server gossip encryption key (nomad.hcl `server.encrypt`). */
  nomadGossipKey: string;
}

/** Where the gossip keys are kept inside the state folder. */
export function gossipFile(stateDir: string): string {
  return path.join(stateDir, "secrets", "gossip.json");
}

/**
 * The cluster's gossip keys from `<stateDir>/secrets/gossip.json`, generated and saved (0600, in a 0700 folder)
 * the first time. Later runs read the same keys back: the running agents only accept the key they started with.
 */
export async function loadOrCreateSecrets(stateDir: string): Promise<ClusterSecrets> {
  const file = gossipFile(stateDir);
  await ensurePrivateDir(path.dirname(file));
  const fresh = { consulGossipKey: generateGossipKey(), nomadGossipKey: generateGossipKey() };
  const created = await createPrivateFileAtomically(file, `${JSON.stringify(fresh, null, 2)}\n`).catch(
    (err: NodeJS.ErrnoException) => {
      throw new OperationError(
        `cannot write ${file}: ${err.code ?? err.message}`,
        "check the folder's permissions",
      );
    },
  );
  if (created) return redacted(fresh);
  return redacted(await readSecrets(file));
}

async function readSecrets(file: string): Promise<ClusterSecrets> {
  await assertPrivateFile(file);
  const text = await readFile(file, "utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes part of the file, which may be a key: say where, not what.
    throw damaged(file, "it is not valid JSON");
  }
  const value = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  for (const name of ["consulGossipKey", "nomadGossipKey"] as const) {
    if (!isGossipKey(value[name])) throw damaged(file, `"${name}" is missing or not a base64 32-byte key`);
  }
  return { consulGossipKey: value.consulGossipKey as string, nomadGossipKey: value.nomadGossipKey as string };
}

function damaged(file: string, why: string): OperationError {
  return new OperationError(
    `${file} is damaged: ${why}`,
    "restore it from a backup; delete it only if no agent runs yet (running agents keep their key, and a new one cannot join them)",
  );
}
