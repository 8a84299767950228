import path from "node:path";
import { componentsOf } from "../components/index.js";
import { HostError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import {
  type CertificateReport,
  describeExpiry,
  installedCertificates,
  reportCertificates,
} from "../pki/installed.js";
import { PkiStore } from "../pki/store.js";
import type { Session } from "../remote/session.js";
import { certificateSitesOf } from "../rotate/registry.js";

/** Every certificate np installed on the hosts and keeps in .np/secrets, with what `np status` says of them. */
export interface CertificateStatus {
  certificates: CertificateReport[];
  /** Near expiry (within np's 30-day renewal window), or unreadable: printed, the exit code unchanged. */
  warnings: string[];
  /** Expired: the cluster is degraded. */
  expired: string[];
}

/**
 * Reads back the certificate files np wrote on every host (one round trip each, over the run's connections) and
 * those in .np/secrets, and judges each one's end date. A host that cannot be read is a warning: its absence from
 * the cluster is judged elsewhere.
 */
export async function readCertificateStatus(
  inv: Inventory,
  session: Session,
  now = new Date(),
): Promise<CertificateStatus> {
  const perHost = await Promise.all(
    inv.hosts.map(async (h) => {
      const units = new Set(componentsOf(h).map((c) => c.name as string));
      const sites = certificateSitesOf(inv, h, (c) => units.has(c));
      try {
        const conn = await session.connect(h);
        return { certs: await installedCertificates(conn, h.ssh.user, h.name, sites, now), problem: null };
      } catch (err) {
        const why = err instanceof HostError ? err.message.replace(`${h.name}: `, "") : String(err);
        return { certs: [], problem: `${h.name}: cannot read its certificates: ${why}` };
      }
    }),
  );
  const local = await new PkiStore(path.join(inv.dir, ".np")).certificateFiles();
  const certificates = [
    ...perHost.flatMap((r) => r.certs),
    ...local.flatMap((f) => reportCertificates({ host: null, path: f.path, name: f.name }, f.pem, now)),
  ];
  return {
    certificates,
    warnings: [
      ...perHost.flatMap((r) => (r.problem ? [r.problem] : [])),
      ...certificates.filter((c) => c.state === "expiring").map(describeExpiry),
    ],
    expired: certificates.filter((c) => c.state === "expired").map(describeExpiry),
  };
}
