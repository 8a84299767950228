import { randomBytes, webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;

import type { KeyPair, LeafProfile } from "./types.js";
import { EC_P256, x509 } from "./x509.js";

const DAY_MS = 86_400_000;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A positive 128-bit serial number, in hex (RFC 5280: at most 20 octets, non-negative). */
const serial = () => {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString("hex");
};

// Certificates are backdated a little: a host whose clock runs behind must not see them as not yet valid.
const notBefore = (now: Date) => new Date(now.getTime() - 5 * 60_000);

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return webcrypto.subtle.importKey("pkcs8", der, EC_P256, true, ["sign"]);
}

/** A new self-signed cluster CA: ECDSA P-256, CA:true with path length 0, may sign certificates only. */
export async function createCa(commonName: string, validityDays: number, now = new Date()): Promise<KeyPair> {
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [commonName] }, { O: ["np"] }],
    notBefore: notBefore(now),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    keys,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKey(keys.privateKey) };
}

/** A leaf certificate for `profile`, signed by the CA: its own P-256 key, the profile's SANs and usages. */
export async function issueLeaf(ca: KeyPair, profile: LeafProfile, now = new Date()): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importKey(ca.keyPem);
  const keys = await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
  const names = [
    ...profile.dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...profile.ips.map((value) => ({ type: "ip" as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [profile.commonName] }],
    issuer: caCert.subjectName,
    notBefore: notBefore(now),
    notAfter: new Date(now.getTime() + profile.validityDays * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC_P256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        profile.usages.map((u) => (u === "serverAuth" ? SERVER_AUTH : CLIENT_AUTH)),
        false,
      ),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKey(keys.privateKey) };
}
