import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { rename } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readCertificateStatus } from "../../src/cluster/certificate-status.js";
import type { Inventory } from "../../src/inventory/index.js";
import * as rotation from "../../src/pki/ca-rotation.js";
import { certificatesIn, daysLeft, derOf, expiryState, isoDay } from "../../src/pki/expiry.js";
import { consulServerProfile, createCa, issueLeaf, PkiStore } from "../../src/pki/index.js";
import {
  type CertificateReport,
  describeExpiry,
  parseHostFiles,
  reportCertificates,
} from "../../src/pki/installed.js";
import type { Session } from "../../src/remote/session.js";

const DAY = 86_400_000;
const node1 = { name: "node1", privateAddress: "10.213.8.11" };
const now = new Date("2026-06-01T12:00:00Z");

describe("certificate end dates", () => {
  it("reads every certificate of a bundle, skipping what does not parse", async () => {
    const a = await createCa("np cluster CA a", 3650);
    const b = await createCa("np cluster CA b", 3650);
    const leaf = await issueLeaf(a, consulServerProfile("dc1", node1));
    const text = `${a.certPem}\n-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n${b.certPem}`;
    const found = certificatesIn(text);
    expect(found.map((c) => [c.subject, c.isCa])).toEqual([
      ["np cluster CA a", true],
      ["np cluster CA b", true],
    ]);
    expect(found[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(found[0]?.sha256).not.toBe(found[1]?.sha256);
    const [l] = certificatesIn(leaf.certPem);
    expect(l).toMatchObject({ subject: "server.dc1.consul", issuer: "np cluster CA a", isCa: false });
    expect(derOf(text)).toHaveLength(2);
    expect(derOf(leaf.certPem)[0]?.equals(new X509Certificate(leaf.certPem).raw)).toBe(true);
    expect(certificatesIn("no PEM here")).toEqual([]);
  });

  it("judges ok / expiring (within 30 days) / expired, and counts whole days left", () => {
    const at = (days: number) => new Date(now.getTime() + days * DAY);
    expect(expiryState(at(31), now)).toBe("ok");
    expect(expiryState(at(30), now)).toBe("ok");
    expect(expiryState(at(29.9), now)).toBe("expiring");
    expect(expiryState(at(0.001), now)).toBe("expiring");
    expect(expiryState(at(0), now)).toBe("expired");
    expect(expiryState(at(-3), now)).toBe("expired");
    expect(expiryState(at(50), now, 60)).toBe("expiring");
    expect(daysLeft(at(10.5), now)).toBe(10);
    expect(daysLeft(at(0.5), now)).toBe(0);
    expect(daysLeft(at(-0.5), now)).toBe(-1);
    expect(isoDay(now)).toBe("2026-06-01");
  });
});

describe("what np status says of a certificate", () => {
  const report = (over: Partial<CertificateReport>): CertificateReport => ({
    host: "node2",
    path: "/etc/consul.d/tls/server.pem",
    name: "consul-server-node2",
    subject: "server.dc1.consul",
    issuer: "np cluster CA x",
    notAfter: "2026-06-11T12:00:00.000Z",
    daysLeft: 10,
    state: "expiring",
    ...over,
  });

  it("names the host, the file, the certificate, the date, and what renews it", () => {
    expect(describeExpiry(report({}))).toBe(
      "node2: certificate /etc/consul.d/tls/server.pem (consul-server-node2, CN server.dc1.consul) expires on 2026-06-11 (in 10 days): `np up` renews it",
    );
    expect(describeExpiry(report({ daysLeft: 1 }))).toMatch(/\(in 1 day\)/);
    expect(describeExpiry(report({ daysLeft: 0 }))).toMatch(/\(today\)/);
    expect(describeExpiry(report({ state: "expired", notAfter: "2026-05-01T00:00:00.000Z" }))).toBe(
      "node2: certificate /etc/consul.d/tls/server.pem (consul-server-node2, CN server.dc1.consul) expired on 2026-05-01: run `np up` to replace it",
    );
    // A file in .np/secrets has no host; the CA is replaced by a rotation, not by np up.
    expect(
      describeExpiry(report({ host: null, path: "/x/.np/secrets/cluster-ca.crt", name: "cluster-ca" })),
    ).toMatch(/^certificate \/x\/\.np\/secrets\/cluster-ca\.crt \(cluster-ca, .*`np rotate ca` renews it$/);
  });

  it("reports each certificate of a file against now", async () => {
    const ca = await createCa("np cluster CA r", 3650);
    const leaf = await issueLeaf(ca, { ...consulServerProfile("dc1", node1), validityDays: 10 }, now);
    const [r] = reportCertificates({ host: "node1", path: "/p", name: "n" }, leaf.certPem, now);
    expect(r).toMatchObject({ host: "node1", path: "/p", name: "n", daysLeft: 10, state: "expiring" });
    expect(
      reportCertificates({ host: null, path: "/p", name: "n" }, `${ca.certPem}${ca.certPem}`, now),
    ).toHaveLength(2);
  });
});

describe("reading files back from a host", () => {
  it("splits the output at the nonce's markers only; a missing file is null", () => {
    const n = "0123456789abcdef";
    const text = [
      `${n}+/etc/a.pem`,
      "line 1",
      "ffffffffffffffff+/etc/forged", // another nonce: content, not a marker
      "",
      `${n}-/etc/missing.pem`,
      `${n}+/etc/b.pem`,
      "b",
      "",
    ].join("\n");
    const files = parseHostFiles(text, n);
    expect([...files.keys()]).toEqual(["/etc/a.pem", "/etc/missing.pem", "/etc/b.pem"]);
    expect(files.get("/etc/a.pem")).toBe("line 1\nffffffffffffffff+/etc/forged\n");
    expect(files.get("/etc/missing.pem")).toBeNull();
    expect(files.get("/etc/b.pem")).toBe("b\n");
  });
});

describe("the certificates np status judges", () => {
  it("an expired certificate in .np/secrets is a degradation (np status adds it to degraded), one near its end a warning", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "np-certstatus-"));
    const secrets = path.join(dir, ".np", "secrets");
    const ca = await createCa("np cluster CA s", 3650);
    const longAgo = new Date(Date.now() - 400 * DAY);
    const expired = await issueLeaf(ca, consulServerProfile("dc1", node1), longAgo);
    const soon = await issueLeaf(ca, { ...consulServerProfile("dc1", node1), validityDays: 5 });
    mkdirSync(secrets, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(secrets, "cluster-ca.crt"), ca.certPem, { mode: 0o600 });
    writeFileSync(path.join(secrets, "old-leaf.crt"), expired.certPem, { mode: 0o600 });
    writeFileSync(path.join(secrets, "soon.crt"), soon.certPem, { mode: 0o600 });
    writeFileSync(path.join(secrets, "soon.key"), soon.keyPem, { mode: 0o600 });
    const inv = { dir, hosts: [] } as unknown as Inventory;
    const s = await readCertificateStatus(inv, {} as Session);
    expect(s.certificates.map((c) => [c.name, c.state])).toEqual([
      ["cluster-ca", "ok"],
      ["old-leaf", "expired"],
      ["soon", "expiring"],
    ]);
    expect(s.expired).toEqual([expect.stringMatching(/^certificate .*old-leaf\.crt .* expired on /)]);
    expect(s.warnings).toEqual([expect.stringMatching(/^certificate .*soon\.crt .* \(in 4 days\): `np up`/)]);
  });
});

describe("a CA rotation's files in .np/secrets", () => {
  it("trusts both CAs during the change, signs with the new one, then trusts it alone", async () => {
    const store = new PkiStore(mkdtempSync(path.join(os.tmpdir(), "np-carot-")));
    const old = await store.ca("demo");
    expect(await store.caCert()).toBe(old.certPem);
    expect(await rotation.caRotationStage(store)).toBeUndefined();
    const next = await rotation.nextCa(store, "demo");
    expect((await rotation.nextCa(store, "demo")).certPem).toBe(next.certPem); // made once
    await rotation.enterCaRotationStage(store, "trust-both");
    expect(await rotation.caRotationStage(store)).toBe("trust-both");
    const both = (await store.caCert()) as string;
    expect(
      certificatesIn(both)
        .map((c) => c.sha256)
        .sort(),
    ).toEqual([old.certPem, next.certPem].map((p) => certificatesIn(p)[0]?.sha256).sort());
    // The old CA still signs.
    expect((await store.ca("demo")).certPem).toBe(old.certPem);
    await rotation.promoteNextCa(store);
    expect(await store.ca("demo")).toEqual({ certPem: next.certPem.trim(), keyPem: next.keyPem.trim() });
    expect(await store.caCert()).toBe(both); // the same bundle whichever signs: no CA file rewritten
    await rotation.dropTrustedCa(store);
    await rotation.endCaRotation(store);
    expect((await store.caCert())?.trim()).toBe(next.certPem.trim());
    expect(await rotation.caRotationStage(store)).toBeUndefined();
    // A promotion cut between its two renames (the next key in place, its certificate not yet) is finished.
    const third = await rotation.nextCa(store, "demo");
    await rename(store.rotationFiles.nextKey, store.caFiles.key);
    expect((await store.ca("demo")).certPem).toBe(third.certPem.trim());
  });

  it("refuses a stage file that names no stage", async () => {
    const store = new PkiStore(mkdtempSync(path.join(os.tmpdir(), "np-carot-")));
    await store.ca("demo");
    writeFileSync(store.rotationFiles.stage, "halfway\n", { mode: 0o600 });
    await expect(rotation.caRotationStage(store)).rejects.toThrow(/damaged: it does not name a stage/);
  });
});
