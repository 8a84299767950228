import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { KeyPair, LeafProfile } from "./types.js";

const DAY_MS = 86_400_000;

/** Whether the private key is the one whose public half the certificate carries. */
export function keyMatchesCert(pair: KeyPair): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(pair.keyPem)).export({ type: "spki", format: "der" });
    const fromCert = new X509Certificate(pair.certPem).publicKey.export({ type: "spki", format: "der" });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** Why a CA cannot be used (unreadable, not a CA, not self-signed, its key not its own), or null. */
export function caProblem(ca: KeyPair): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ca.certPem);
  } catch {
    return "its certificate is not a PEM X.509 certificate";
  }
  if (!cert.ca) return "its certificate is not a CA certificate";
  if (!cert.checkIssued(cert) || !cert.verify(cert.publicKey)) return "its certificate is not self-signed";
  if (!keyMatchesCert(ca)) return "its private key does not match its certificate";
  return null;
}

/** The subject alternative names a certificate carries, as node:crypto spells them ("DNS:x", "IP Address:y"). */
export const sansOf = (cert: X509Certificate): string[] =>
  (cert.subjectAltName ?? "")
    .split(", ")
    .filter((s) => s !== "")
    .toSorted();

/** The names a profile asks for, spelled as `sansOf` reads them. */
export const sansWanted = (p: LeafProfile): string[] =>
  [...p.dnsNames.map((d) => `DNS:${d}`), ...p.ips.map((i) => `IP Address:${i}`)].toSorted();

/**
 * Why a stored leaf must be issued again, or null when it can be reused: kept certificates make renders
 * byte-identical across runs, so a leaf is reissued only when it is unusable, names other hosts, or is near expiry.
 */
export function leafRenewalReason(
  ca: KeyPair,
  leaf: KeyPair,
  profile: LeafProfile,
  renewWithinDays: number,
  now = new Date(),
): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(leaf.certPem);
  } catch {
    return "it is not a PEM X.509 certificate";
  }
  const caCert = new X509Certificate(ca.certPem);
  if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey))
    return "it was not issued by the cluster CA";
  if (!keyMatchesCert(leaf)) return "its private key does not match it";
  if (sansOf(cert).join(",") !== sansWanted(profile).join(",")) return "its names differ from the host's";
  const left = Date.parse(cert.validTo) - now.getTime();
  if (left < renewWithinDays * DAY_MS)
    return `it expires on ${new Date(cert.validTo).toISOString().slice(0, 10)}`;
  return null;
}
