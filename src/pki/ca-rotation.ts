import { rename, rm } from "node:fs/promises";
import { OperationError } from "../errors.js";
import { readPrivateFile } from "../secrets/private-file.js";
import { caProblem } from "./check.js";
import { createCa } from "./issue.js";
import { LIFETIME } from "./profiles.js";
import { type PkiStore, writePrivate } from "./store.js";
import type { KeyPair } from "./types.js";

/**
 * The stages of `np rotate ca`, each a state every host and np can run in (the rotation's journal in .np/secrets
 * says which one a run reached, so an interrupted rotation goes on from there):
 * - `trust-both`: a new CA exists; hosts trust the old and the new one; the old one still signs.
 * - `new-signs`: the new CA signs; every leaf is issued again by it; hosts still trust the old one.
 * - `drop-old`: the old CA is no longer trusted anywhere.
 */
export type CaRotationStage = "trust-both" | "new-signs" | "drop-old";
const STAGES: readonly CaRotationStage[] = ["trust-both", "new-signs", "drop-old"];

const read = async (file: string) => (await readPrivateFile(file))?.trim();

/** The stage a CA rotation reached, or undefined when none is under way. */
export async function caRotationStage(store: PkiStore): Promise<CaRotationStage | undefined> {
  const text = await read(store.rotationFiles.stage);
  if (text === undefined) return undefined;
  if (!STAGES.includes(text as CaRotationStage))
    throw new OperationError(
      `${store.rotationFiles.stage} is damaged: it does not name a stage (${STAGES.join(", ")})`,
      "restore .np/secrets from your backup",
    );
  return text as CaRotationStage;
}

/** Records the stage a rotation enters (before its changes are made). */
export async function enterCaRotationStage(store: PkiStore, stage: CaRotationStage): Promise<void> {
  await writePrivate(store.rotationFiles.stage, `${stage}\n`);
}

/** Ends the rotation: nothing of the old CA is left to keep. */
export async function endCaRotation(store: PkiStore): Promise<void> {
  await rm(store.rotationFiles.stage, { force: true });
}

/** The next CA: the one made earlier by this rotation, else a new one (its key saved before its certificate). */
export async function nextCa(store: PkiStore, clusterName: string): Promise<KeyPair> {
  const r = store.rotationFiles;
  const [certPem, keyPem] = await Promise.all([read(r.nextCert), read(r.nextKey)]);
  if (certPem !== undefined && keyPem !== undefined) {
    const problem = caProblem({ certPem, keyPem });
    if (problem) throw new OperationError(`refusing the next CA in ${r.nextCert}: ${problem}`);
    return { certPem, keyPem };
  }
  // A key without its certificate: the run that made it stopped before any host heard of it. Start again.
  const ca = await createCa(
    `np cluster CA ${clusterName} (${new Date().toISOString().slice(0, 10)})`,
    LIFETIME.caDays,
  );
  await writePrivate(r.nextKey, ca.keyPem);
  await writePrivate(r.nextCert, ca.certPem);
  return ca;
}

/**
 * The next CA becomes the signing one: the old certificate is kept as trusted first (hosts must keep trusting
 * the leaves it signed), then the next key and certificate take the CA's place, each by a rename. The old key is
 * gone after this: nothing may sign with the old CA again. Safe to call again after an interruption.
 */
export async function promoteNextCa(store: PkiStore): Promise<void> {
  const r = store.rotationFiles;
  const files = store.caFiles;
  const nextCert = await read(r.nextCert);
  if (nextCert === undefined) return;
  const current = await read(files.cert);
  const trusted = await read(r.trusted);
  if (current !== undefined && current !== nextCert && !trusted?.includes(current))
    await writePrivate(r.trusted, `${[trusted, current].filter(Boolean).join("\n")}\n`);
  if ((await read(r.nextKey)) !== undefined) await rename(r.nextKey, files.key);
  await rename(r.nextCert, files.cert);
}

/** The old CA is trusted no longer. */
export async function dropTrustedCa(store: PkiStore): Promise<void> {
  await rm(store.rotationFiles.trusted, { force: true });
}
