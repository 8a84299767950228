import { X509Certificate } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  caProblem,
  consulServerProfile,
  createCa,
  issueLeaf,
  keyMatchesCert,
  leafRenewalReason,
  nomadAgentProfile,
  operatorProfile,
  PkiStore,
} from "../../src/pki/index.js";
import { x509 } from "../../src/pki/x509.js";

const node1 = { name: "node1", privateAddress: "10.213.8.11" };
const tmp = () => mkdtempSync(path.join(os.tmpdir(), "np-pki-"));
const EKU_SERVER = "1.3.6.1.5.5.7.3.1";
const EKU_CLIENT = "1.3.6.1.5.5.7.3.2";

/** Key usages and extended key usages of a PEM certificate, read by @peculiar/x509 (node:crypto has no API for them). */
function usages(pem: string): { ku: number; eku: string[]; ca: boolean | undefined } {
  const c = new x509.X509Certificate(pem);
  return {
    ku: c.getExtension(x509.KeyUsagesExtension)?.usages ?? 0,
    eku: (c.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []).map(String),
    ca: c.getExtension(x509.BasicConstraintsExtension)?.ca,
  };
}

describe("the cluster CA", () => {
  it("is a self-signed ECDSA P-256 CA that may only sign certificates", async () => {
    const ca = await createCa("np cluster CA demo", 3650);
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain("CN=np cluster CA demo");
    expect(cert.checkIssued(cert) && cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: "prime256v1" });
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(3640 * 86_400_000);
    const u = usages(ca.certPem);
    expect(u.ca).toBe(true);
    expect(u.ku).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
    );
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(keyMatchesCert(ca)).toBe(true);
    expect(caProblem(ca)).toBeNull();
  });

  it("is refused when its key is not its own (tampered, or another cluster's)", async () => {
    const a = await createCa("a", 10);
    const b = await createCa("b", 10);
    expect(caProblem({ certPem: a.certPem, keyPem: b.keyPem })).toBe(
      "its private key does not match its certificate",
    );
    const leaf = await issueLeaf(a, consulServerProfile("dc1", node1));
    expect(caProblem(leaf)).toBe("its certificate is not a CA certificate");
    expect(caProblem({ certPem: "junk", keyPem: a.keyPem })).toMatch(/not a PEM X\.509 certificate/);
  });
});

describe("leaf certificates", () => {
  it("a Consul server's: server.<dc>.consul, localhost, 127.0.0.1 and its private address; server and client auth", async () => {
    const ca = await createCa("np", 10);
    const leaf = await issueLeaf(ca, consulServerProfile("dc1", node1));
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.subject).toBe("CN=server.dc1.consul");
    expect(cert.checkHost("server.dc1.consul")).toBe("server.dc1.consul");
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkIP("10.213.8.11")).toBe("10.213.8.11");
    expect(cert.checkHost("server.dc2.consul")).toBeUndefined();
    expect(cert.checkIP("10.213.8.12")).toBeUndefined();
    const u = usages(leaf.certPem);
    expect(u.ku).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(u.eku.sort()).toEqual([EKU_SERVER, EKU_CLIENT].sort());
    expect(keyMatchesCert(leaf)).toBe(true);
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(360 * 86_400_000);
  });

  it("Nomad's and np's own profiles name what Nomad checks (a small addition on the same CA)", async () => {
    const ca = await createCa("np", 10);
    const server = new X509Certificate(
      (await issueLeaf(ca, nomadAgentProfile("server", "global", node1))).certPem,
    );
    expect(server.checkHost("server.global.nomad")).toBe("server.global.nomad");
    const client = new X509Certificate(
      (await issueLeaf(ca, nomadAgentProfile("client", "global", node1))).certPem,
    );
    expect(client.checkHost("client.global.nomad")).toBe("client.global.nomad");
    const op = await issueLeaf(ca, operatorProfile("demo"));
    expect(usages(op.certPem).eku).toEqual([EKU_CLIENT]);
    expect(new X509Certificate(op.certPem).subjectAltName).toBeUndefined();
  });

  it("is reused while usable, and issued again when it nears expiry, names another address or has another CA", async () => {
    const ca = await createCa("np", 10);
    const profile = consulServerProfile("dc1", node1);
    const leaf = await issueLeaf(ca, profile);
    expect(leafRenewalReason(ca, leaf, profile, 30)).toBeNull();
    const in340days = new Date(Date.now() + 340 * 86_400_000);
    expect(leafRenewalReason(ca, leaf, profile, 30, in340days)).toMatch(/^it expires on \d{4}-\d\d-\d\d$/);
    const moved = consulServerProfile("dc1", { ...node1, privateAddress: "10.213.8.99" });
    expect(leafRenewalReason(ca, leaf, moved, 30)).toBe("its names differ from the host's");
    expect(leafRenewalReason(await createCa("other", 10), leaf, profile, 30)).toBe(
      "it was not issued by the cluster CA",
    );
    const other = await issueLeaf(ca, profile);
    expect(leafRenewalReason(ca, { certPem: leaf.certPem, keyPem: other.keyPem }, profile, 30)).toBe(
      "its private key does not match it",
    );
  });
});

describe("PkiStore (.np/secrets)", () => {
  it("creates the CA once, keeps every file 0600, and hands out the same leaf on every run", async () => {
    const dir = tmp();
    const store = new PkiStore(dir);
    const ca = await store.ca("demo");
    expect((await new PkiStore(dir).ca("demo")).certPem).toBe(ca.certPem);
    const profile = consulServerProfile("dc1", node1);
    const first = await store.leaf(ca, profile);
    expect(first.issued).toBe("there is none yet");
    const again = await new PkiStore(dir).leaf(ca, profile);
    expect(again).toEqual({ certPem: first.certPem, keyPem: first.keyPem, issued: null });
    const later = await store.leaf(ca, profile, new Date(Date.now() + 340 * 86_400_000));
    expect(later.issued).toMatch(/expires/);
    expect(later.certPem).not.toBe(first.certPem);
    for (const f of [
      "cluster-ca.crt",
      "cluster-ca.key",
      "consul-server-node1.crt",
      "consul-server-node1.key",
    ])
      expect(statSync(path.join(dir, "secrets", f)).mode & 0o777, f).toBe(0o600);
  });

  it("refuses a tampered CA (its key replaced) before anything else happens, and says what to do", async () => {
    const dir = tmp();
    await new PkiStore(dir).ca("demo");
    const key = path.join(dir, "secrets", "cluster-ca.key");
    writeFileSync(key, (await createCa("intruder", 10)).keyPem, { mode: 0o600 });
    const err = await new PkiStore(dir).ca("demo").catch((e: Error & { hint?: string }) => e);
    expect(String(err)).toMatch(
      /refusing the cluster CA in .*: its private key does not match its certificate/,
    );
  });

  it("refuses a CA key that group or others can read, and a CA missing one of its files", async () => {
    const dir = tmp();
    await new PkiStore(dir).ca("demo");
    const key = path.join(dir, "secrets", "cluster-ca.key");
    chmodSync(key, 0o644);
    await expect(new PkiStore(dir).ca("demo")).rejects.toThrow(/mode 0644 lets group or others access/);
    const other = tmp();
    await new PkiStore(other).ca("demo");
    const cert = path.join(other, "secrets", "cluster-ca.crt");
    const text = readFileSync(cert, "utf8");
    rmSync(cert);
    await expect(new PkiStore(other).ca("demo")).rejects.toThrow(
      /the cluster CA is incomplete: .*cluster-ca\.crt is missing/,
    );
    expect(text).toMatch(/BEGIN CERTIFICATE/);
  });
});
