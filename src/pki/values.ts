import { Secret } from "../secrets/secret.js";
import { PkiStore } from "./store.js";
import type { LeafProfile } from "./types.js";

/** The names renders ask SecretValues for: the CA's certificate, and each leaf's certificate and key. */
export const TLS_SECRET = {
  caCert: "tls-ca-cert",
  cert: (id: string) => `tls-${id}-cert`,
  key: (id: string) => `tls-${id}-key`,
} as const;

/** What the PKI hands a run: render values by name, and the leaves issued in this run (with why). */
export interface LoadedPki {
  values: Map<string, Secret>;
  issued: { id: string; why: string }[];
}

/**
 * The cluster CA (created on first use, refused when tampered with) and a leaf for each profile (kept, or issued
 * when missing, foreign or near expiry), as values renders read by name.
 */
export async function loadPki(
  stateDir: string,
  clusterName: string,
  profiles: readonly LeafProfile[],
): Promise<LoadedPki> {
  const store = new PkiStore(stateDir);
  const ca = await store.ca(clusterName);
  // What hosts trust: the CA, and during `np rotate ca` the other one too (its bundle; ca() made sure of the CA).
  const trusted = (await store.caCert()) ?? ca.certPem;
  const values = new Map<string, Secret>([[TLS_SECRET.caCert, new Secret(trusted)]]);
  const issued: LoadedPki["issued"] = [];
  for (const profile of profiles) {
    const leaf = await store.leaf(ca, profile);
    values.set(TLS_SECRET.cert(profile.id), new Secret(leaf.certPem));
    values.set(TLS_SECRET.key(profile.id), new Secret(leaf.keyPem));
    if (leaf.issued) issued.push({ id: profile.id, why: leaf.issued });
  }
  return { values, issued };
}
