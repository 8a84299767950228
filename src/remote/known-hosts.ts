import { createHash, createHmac } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";

/** One line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  patterns: string[];
  keyType: string;
  keyBase64: string;
}

export type HostKeyVerdict =
  | { kind: "known" }
  | { kind: "new" }
  | { kind: "changed"; expected: string[]; actual: string; source: string };

/** How OpenSSH names a host in known_hosts: bare for port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type written at the start of an SSH public key blob (e.g. `ssh-ed25519`). */
export function keyTypeOf(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString("latin1");
}

/** OpenSSH's fingerprint format: `SHA256:` and unpadded base64 of the key blob's SHA-256. */
export function fingerprint(blob: Buffer | string): string {
  const buf = typeof blob === "string" ? Buffer.from(blob, "base64") : blob;
  return `SHA256:${createHash("sha256").update(buf).digest("base64").replace(/=+$/, "")}`;
}

/** Parses known_hosts text; markers (@cert-authority, @revoked) and comments are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("@")) continue;
    const [hosts, keyType, keyBase64] = line.split(/\s+/);
    if (!hosts || !keyType || !keyBase64) continue;
    entries.push({ patterns: hosts.split(","), keyType, keyBase64 });
  }
  return entries;
}

/** True when a known_hosts host pattern names `name` (plain, or hashed `|1|salt|hash`). Wildcards are not pinned by np. */
export function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return pattern === name;
}

/**
 * Decides whether a presented host key is acceptable. np's own pins are authoritative: any pinned key for the
 * host must match. The user's ~/.ssh/known_hosts counts as a pin for the same key type.
 */
export function judgeHostKey(
  name: string,
  blob: Buffer,
  pins: KnownHostEntry[],
  userKnown: KnownHostEntry[],
  pinSource: string,
  userSource: string,
): HostKeyVerdict {
  const actual = blob.toString("base64");
  const type = keyTypeOf(blob);
  const mine = pins.filter((e) => e.patterns.some((p) => patternMatches(p, name)));
  if (mine.some((e) => e.keyBase64 === actual)) return { kind: "known" };
  if (mine.length > 0) {
    return {
      kind: "changed",
      expected: mine.map((e) => fingerprint(e.keyBase64)),
      actual: fingerprint(blob),
      source: pinSource,
    };
  }
  const theirs = userKnown.filter(
    (e) => e.keyType === type && e.patterns.some((p) => patternMatches(p, name)),
  );
  if (theirs.some((e) => e.keyBase64 === actual)) return { kind: "known" };
  if (theirs.length > 0) {
    return {
      kind: "changed",
      expected: theirs.map((e) => fingerprint(e.keyBase64)),
      actual: fingerprint(blob),
      source: userSource,
    };
  }
  return { kind: "new" };
}

/** Host keys pinned on first use in `.np/known_hosts` (OpenSSH format, so `ssh -o UserKnownHostsFile=` can read it). */
export class KnownHosts {
  private pins: KnownHostEntry[] = [];
  private user: KnownHostEntry[] = [];
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly pinFile: string,
    readonly userFile: string | undefined,
  ) {}

  /** Reads both files once; missing files are empty. */
  async load(): Promise<this> {
    this.pins = parseKnownHosts(await readIfExists(this.pinFile));
    this.user = this.userFile ? parseKnownHosts(await readIfExists(this.userFile)) : [];
    return this;
  }

  /** Judges the key, pinning it when the host was never seen. */
  async verify(host: string, port: number, blob: Buffer): Promise<HostKeyVerdict> {
    const name = knownHostsName(host, port);
    const verdict = judgeHostKey(name, blob, this.pins, this.user, this.pinFile, this.userFile ?? "");
    if (verdict.kind === "new") await this.pin(name, blob);
    return verdict;
  }

  private pin(name: string, blob: Buffer): Promise<void> {
    const entry = { patterns: [name], keyType: keyTypeOf(blob), keyBase64: blob.toString("base64") };
    this.pins.push(entry);
    // Parallel connections pin concurrently: chain the appends so lines never interleave.
    this.writes = this.writes.then(async () => {
      await mkdir(path.dirname(this.pinFile), { recursive: true, mode: 0o700 });
      await appendFile(this.pinFile, `${name} ${entry.keyType} ${entry.keyBase64}\n`, { mode: 0o600 });
    });
    return this.writes;
  }
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}
