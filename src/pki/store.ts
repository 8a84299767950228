import { readdir, rename } from "node:fs/promises";
import path from "node:path";
import { OperationError } from "../errors.js";
import { replacePrivateFileAtomically } from "../secrets/atomic-create.js";
import { ensurePrivateDir, readPrivateFile as readPrivate } from "../secrets/private-file.js";
import { caProblem, keyMatchesCert, leafRenewalReason } from "./check.js";
import { LIFETIME } from "./profiles.js";
import type { KeyPair, LeafProfile } from "./types.js";

// Issuing loads @peculiar/x509 (a tenth of a no-op run's CPU): only a run that issues something loads it.
const issuing = () => import("./issue.js");

/** A leaf as the store hands it out, and why it was (re)issued in this run, if it was. */
export interface StoredLeaf extends KeyPair {
  issued: string | null;
}

/**
 * The cluster CA and the leaf certificates np issued, in `<stateDir>/secrets/` beside the other secrets:
 * `cluster-ca.crt` and `cluster-ca.key`, `<profile id>.crt` and `.key`; every file 0600 and refused when group or
 * others can read it. Leaves are kept and reused until they near expiry, so renders are identical across runs.
 */
export class PkiStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, "secrets");
  }

  /** Where the CA's certificate (public) and key (secret) are kept. */
  get caFiles(): { cert: string; key: string } {
    return { cert: path.join(this.dir, "cluster-ca.crt"), key: path.join(this.dir, "cluster-ca.key") };
  }

  /**
   * The files of a CA rotation under way (`np rotate ca`): the next CA, made before any host trusts it, and the
   * old CA's certificate, still trusted once the next one signs, until every leaf is the new CA's.
   */
  get rotationFiles(): { nextCert: string; nextKey: string; trusted: string; stage: string } {
    return {
      nextCert: path.join(this.dir, "cluster-ca-next.crt"),
      nextKey: path.join(this.dir, "cluster-ca-next.key"),
      trusted: path.join(this.dir, "cluster-ca-trusted.crt"),
      stage: path.join(this.dir, "ca-rotation"),
    };
  }

  /**
   * The cluster CA, created on first use. A CA whose key is not its certificate's (tampered with, or mixed up with
   * another cluster's), or with one of its two files missing, is refused before anything on a host changes.
   */
  async ca(clusterName: string): Promise<KeyPair> {
    await ensurePrivateDir(this.dir);
    const files = this.caFiles;
    await this.finishInterruptedPromotion();
    const [certPem, keyPem] = await Promise.all([readPrivate(files.cert), readPrivate(files.key)]);
    if (certPem === undefined && keyPem === undefined) {
      const { createCa } = await issuing();
      const ca = await createCa(`np cluster CA ${clusterName}`, LIFETIME.caDays);
      // The key first: a CA certificate without its key would be refused on the next run.
      await writePrivate(files.key, ca.keyPem);
      await writePrivate(files.cert, ca.certPem);
      return ca;
    }
    if (certPem === undefined || keyPem === undefined) {
      const missing = certPem === undefined ? files.cert : files.key;
      throw new OperationError(
        `the cluster CA is incomplete: ${missing} is missing`,
        "restore .np/secrets from your backup: every host trusts this CA, a new one would not be trusted",
      );
    }
    const ca = { certPem, keyPem };
    const problem = caProblem(ca);
    if (problem)
      throw new OperationError(
        `refusing the cluster CA in ${this.dir}: ${problem} (the files were changed or mixed up)`,
        "restore cluster-ca.crt and cluster-ca.key from your backup of .np/secrets; np changes nothing on any host until they match",
      );
    return ca;
  }

  /**
   * The CA certificates hosts and np trust, when there is a CA (for clients that check servers against it); never
   * creates one. Outside a rotation that is the cluster CA alone; during `np rotate ca`, the old and the new CA.
   */
  async caCert(): Promise<string | undefined> {
    await this.finishInterruptedPromotion();
    const own = await readPrivate(this.caFiles.cert);
    if (own === undefined) return undefined;
    const r = this.rotationFiles;
    const more = (await Promise.all([readPrivate(r.nextCert), readPrivate(r.trusted)])).filter(
      (p): p is string => p !== undefined,
    );
    // Outside a rotation, the CA file as it is (renders stay byte-identical to what np wrote before).
    if (more.length === 0) return own;
    // Sorted: the bundle is the same whichever CA signs, so promoting the new one rewrites no CA file.
    const pems = [...new Set([own, ...more].map((p) => p.trim()))].toSorted();
    return `${pems.join("\n")}\n`;
  }

  /**
   * The next CA becoming the signing one is two renames (key, then certificate): a run interrupted between them
   * leaves the next CA's key beside the old certificate, with the next certificate still in its place. That, and
   * only that, is finished here; any other mismatch is refused by `ca()` as tampering.
   */
  private async finishInterruptedPromotion(): Promise<void> {
    const r = this.rotationFiles;
    const [nextCert, nextKey, keyPem] = await Promise.all([
      readPrivate(r.nextCert),
      readPrivate(r.nextKey),
      readPrivate(this.caFiles.key),
    ]);
    if (nextCert === undefined || nextKey !== undefined || keyPem === undefined) return;
    if (keyMatchesCert({ certPem: nextCert, keyPem })) await rename(r.nextCert, this.caFiles.cert);
  }

  /** Every certificate file in .np/secrets (the CA, the next one, leaves), by file stem, for expiry warnings. */
  async certificateFiles(): Promise<{ name: string; path: string; pem: string }[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith(".crt"));
    const out: { name: string; path: string; pem: string }[] = [];
    for (const f of names.toSorted()) {
      const file = path.join(this.dir, f);
      const pem = await readPrivate(file);
      if (pem !== undefined) out.push({ name: f.slice(0, -".crt".length), path: file, pem });
    }
    return out;
  }

  /**
   * The stored leaf with this profile id, as it is (never issued nor checked here): for the commands that only
   * read the cluster (np status, np deploy…) and present np's own client certificate. Undefined when there is none.
   */
  async storedLeaf(id: string): Promise<KeyPair | undefined> {
    const [certPem, keyPem] = await Promise.all([
      readPrivate(path.join(this.dir, `${id}.crt`)),
      readPrivate(path.join(this.dir, `${id}.key`)),
    ]);
    return certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined;
  }

  /** The leaf for `profile`: the stored one while it is usable, else a new one (saved before it is used). */
  async leaf(ca: KeyPair, profile: LeafProfile, now = new Date()): Promise<StoredLeaf> {
    const cert = path.join(this.dir, `${profile.id}.crt`);
    const key = path.join(this.dir, `${profile.id}.key`);
    const [certPem, keyPem] = await Promise.all([readPrivate(cert), readPrivate(key)]);
    const stored = certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined;
    const why = stored
      ? leafRenewalReason(ca, stored, profile, LIFETIME.renewWithinDays, now)
      : "there is none yet";
    if (stored && why === null) return { ...stored, issued: null };
    const fresh = await (await issuing()).issueLeaf(ca, profile, now);
    await writePrivate(key, fresh.keyPem);
    await writePrivate(cert, fresh.certPem);
    return { ...fresh, issued: why };
  }
}

/** Writes (or replaces) a 0600 file atomically: a crash leaves the old content or the new one. */
export async function writePrivate(file: string, content: string): Promise<void> {
  await replacePrivateFileAtomically(file, content);
}
