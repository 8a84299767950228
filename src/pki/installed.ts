import { randomBytes } from "node:crypto";
import { counted } from "../output/counted.js";
import { asRoot, shInline } from "../remote/command.js";
import type { SshConnection } from "../remote/connection.js";
import { certificatesIn, daysLeft, type ExpiryState, expiryState, isoDay } from "./expiry.js";
import type { CertificateSite } from "./sites.js";

/** One certificate as found: on a host (the file np installed there) or in .np/secrets (host null). */
export interface CertificateReport {
  host: string | null;
  path: string;
  /** The site's name ("cluster CA", "consul-server-node1") or, in .np/secrets, the file's stem. */
  name: string;
  subject: string;
  issuer: string;
  notAfter: string;
  daysLeft: number;
  state: ExpiryState;
}

// $1 a nonce, then the paths: each file's content after a marker line that carries the nonce (no PEM text can
// forge it); a missing or unreadable file gets a marker of its own. Constant text: the paths are arguments.
const READ_FILES = `n=$1; shift
for f in "$@"; do
  if [ -r "$f" ]; then printf '%s+%s\\n' "$n" "$f"; cat -- "$f"; echo; else printf '%s-%s\\n' "$n" "$f"; fi
done`;

/** The content of each path on the host (null when it is missing), in one round trip. */
export async function readHostFiles(
  conn: SshConnection,
  login: string,
  paths: readonly string[],
): Promise<Map<string, string | null>> {
  const nonce = randomBytes(8).toString("hex");
  const r = await conn.run(asRoot(shInline(READ_FILES, [nonce, ...paths]), login), {
    doing: "reading the certificates np installed",
  });
  return parseHostFiles(r.stdout, nonce);
}

/** Parses READ_FILES output. */
export function parseHostFiles(text: string, nonce: string): Map<string, string | null> {
  const files = new Map<string, string | null>();
  let current: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (current !== null) files.set(current, lines.join("\n"));
  };
  for (const line of text.split("\n")) {
    if (line.startsWith(`${nonce}+`) || line.startsWith(`${nonce}-`)) {
      flush();
      lines = [];
      const p = line.slice(nonce.length + 1);
      if (line.charAt(nonce.length) === "+") current = p;
      else {
        current = null;
        files.set(p, null);
      }
    } else if (current !== null) lines.push(line);
  }
  flush();
  return files;
}

/** The certificates of one file (a CA bundle holds several), judged against now. */
export function reportCertificates(
  where: { host: string | null; path: string; name: string },
  pem: string,
  now: Date,
): CertificateReport[] {
  return certificatesIn(pem).map((c) => ({
    ...where,
    subject: c.subject,
    issuer: c.issuer,
    notAfter: c.notAfter.toISOString(),
    daysLeft: daysLeft(c.notAfter, now),
    state: expiryState(c.notAfter, now),
  }));
}

/** The certificates installed on one host at its sites; a site whose file is missing is skipped. */
export async function installedCertificates(
  conn: SshConnection,
  login: string,
  host: string,
  sites: readonly CertificateSite[],
  now: Date,
): Promise<CertificateReport[]> {
  if (sites.length === 0) return [];
  const files = await readHostFiles(
    conn,
    login,
    sites.map((s) => s.path),
  );
  return sites.flatMap((s) => {
    const pem = files.get(s.path);
    return pem ? reportCertificates({ host, path: s.path, name: s.name }, pem, now) : [];
  });
}

/** What a certificate near or past its end is, in words, and what to do about it. */
export function describeExpiry(r: CertificateReport): string {
  // Per-host lines start with the host (a file in .np/secrets has none).
  const where = r.host ? `${r.host}: certificate ${r.path}` : `certificate ${r.path}`;
  const what = `${where} (${r.name}, CN ${r.subject})`;
  const fix = r.name === "cluster CA" || r.name === "cluster-ca" ? "np rotate ca" : "np up";
  if (r.state === "expired")
    return `${what} expired on ${isoDay(new Date(r.notAfter))}: run \`${fix}\` to replace it`;
  const when = r.daysLeft === 0 ? "today" : `in ${counted(r.daysLeft, "day")}`;
  return `${what} expires on ${isoDay(new Date(r.notAfter))} (${when}): \`${fix}\` renews it`;
}
