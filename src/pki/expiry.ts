import { createHash, X509Certificate } from "node:crypto";
import { LIFETIME } from "./profiles.js";

const DAY_MS = 86_400_000;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** What np reads of one certificate to judge its lifetime (no key material). */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  notAfter: Date;
  isCa: boolean;
  /** SHA-256 of the DER, lower-case hex: which certificate exactly (two CAs can share a name). */
  sha256: string;
}

/** Every certificate in a PEM text (a CA bundle holds several); blocks that do not parse are skipped. */
export function certificatesIn(pem: string): CertificateFacts[] {
  const out: CertificateFacts[] = [];
  for (const block of pem.match(PEM_BLOCK) ?? []) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch {
      continue;
    }
    out.push({
      subject: commonNameOf(cert.subject),
      issuer: commonNameOf(cert.issuer),
      notAfter: new Date(cert.validTo),
      isCa: cert.ca,
      sha256: createHash("sha256").update(cert.raw).digest("hex"),
    });
  }
  return out;
}

/** The DER bytes of every certificate in a PEM text, in order. */
export function derOf(pem: string): Buffer[] {
  return (pem.match(PEM_BLOCK) ?? []).flatMap((block) => {
    try {
      return [new X509Certificate(block).raw];
    } catch {
      return [];
    }
  });
}

// "CN=server.dc1.consul" or "CN=np cluster CA x\nO=np": the CN names a certificate in messages.
const commonNameOf = (dn: string) => /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? dn.replaceAll("\n", ", ");

/** Whole days left until `notAfter` (negative once it has passed; 0 on its last day). */
export const daysLeft = (notAfter: Date, now: Date) =>
  Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);

/** How a certificate's lifetime stands: fine, within the renewal window (warned about, renewed), or over. */
export type ExpiryState = "ok" | "expiring" | "expired";

/** Judges a certificate's end date against now and np's renewal window (30 days). */
export function expiryState(
  notAfter: Date,
  now: Date,
  withinDays: number = LIFETIME.renewWithinDays,
): ExpiryState {
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return "expired";
  return left < withinDays * DAY_MS ? "expiring" : "ok";
}

/** "2026-01-31": the date a message names. */
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
