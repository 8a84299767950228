import { createHash, createHmac } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";

/** One line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  patterns: string[];
  keyType: string;
  keyBase64: string;
  /** 1-based line number in its file. */
  line?: number;
  /** `@revoked`: this key is refused for these hosts. (`@cert-authority` lines are dropped: see parseKnownHosts.) */
  revoked?: boolean;
}

export type HostKeyVerdict =
  | { kind: "known" }
  | { kind: "new" }
  | { kind: "changed"; expected: string[]; actual: string; source: string }
  | { kind: "revoked"; actual: string; source: string; line: number };

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

/**
 * Parses known_hosts text, comments skipped. `@revoked` lines are kept (marked `revoked`): such a key is refused.
 * `@cert-authority` lines are dropped: np does not verify host certificates, so a CA key never vouches for a host
 * (a host known only through its CA is treated as unseen and pinned by its own key). Other markers are dropped.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const words = raw.trim().split(/\s+/);
    if (words[0] === "" || words[0]?.startsWith("#")) return;
    const marker = words[0]?.startsWith("@") ? words.shift() : undefined;
    if (marker !== undefined && marker !== "@revoked") return;
    const [hosts, keyType, keyBase64] = words;
    if (!hosts || !keyType || !keyBase64) return;
    entries.push({
      patterns: hosts.split(","),
      keyType,
      keyBase64,
      line: i + 1,
      revoked: marker === "@revoked",
    });
  });
  return entries;
}

/**
 * OpenSSH's host pattern lists for `@revoked` lines: `*` and `?` wildcards, `!` negation (a negated match wins),
 * hashed names. np pins exact names only, but a revocation is honoured however it is written.
 */
export function patternListMatches(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    const p = negated ? pattern.slice(1) : pattern;
    const hit = p.startsWith("|1|")
      ? patternMatches(p, name)
      : wildcardMatches(p.toLowerCase(), name.toLowerCase());
    if (hit && negated) return false;
    if (hit) matched = true;
  }
  return matched;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${re}$`).test(name);
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
  // A revoked key is refused whatever else vouches for it (as OpenSSH does).
  for (const [entries, source] of [
    [pins, pinSource],
    [userKnown, userSource],
  ] as const) {
    const revoked = entries.find(
      (e) => e.revoked && e.keyBase64 === actual && patternListMatches(e.patterns, name),
    );
    if (revoked) return { kind: "revoked", actual: fingerprint(blob), source, line: revoked.line ?? 0 };
  }
  // Known when a vouching entry has this very key; changed when entries vouch only for other keys.
  const against = (entries: KnownHostEntry[], source: string): HostKeyVerdict | undefined => {
    if (entries.some((e) => e.keyBase64 === actual)) return { kind: "known" };
    if (entries.length === 0) return undefined;
    return {
      kind: "changed",
      expected: entries.map((e) => fingerprint(e.keyBase64)),
      actual: fingerprint(blob),
      source,
    };
  };
  const mine = pins.filter((e) => !e.revoked && e.patterns.some((p) => patternMatches(p, name)));
  const theirs = userKnown.filter(
    (e) => !e.revoked && e.keyType === type && e.patterns.some((p) => patternMatches(p, name)),
  );
  return against(mine, pinSource) ?? against(theirs, userSource) ?? { kind: "new" };
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
    const entry: KnownHostEntry = {
      patterns: [name],
      keyType: keyTypeOf(blob),
      keyBase64: blob.toString("base64"),
    };
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
