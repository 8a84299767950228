import { createHmac } from "node:crypto";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { connectError } from "../../src/remote/connect-errors.js";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";
import {
  fingerprint,
  judgeHostKey,
  KnownHosts,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  patternListMatches,
  patternMatches,
} from "../../src/remote/known-hosts.js";

function hostKey(): Buffer {
  const { public: pub } = generateEd25519KeyPair();
  return Buffer.from(pub.split(" ")[1] as string, "base64");
}

describe("host key pinning", () => {
  const keyA = hostKey();
  const keyB = hostKey();

  it("names hosts as OpenSSH does", () => {
    expect(knownHostsName("10.0.0.1", 22)).toBe("10.0.0.1");
    expect(knownHostsName("10.0.0.1", 2222)).toBe("[10.0.0.1]:2222");
  });

  it("reads the key type and an OpenSSH-style fingerprint", () => {
    expect(keyTypeOf(keyA)).toBe("ssh-ed25519");
    expect(fingerprint(keyA)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it("matches hashed known_hosts entries", () => {
    const salt = Buffer.from("0123456789abcdef0123");
    const hash = createHmac("sha1", salt).update("10.0.0.9").digest("base64");
    const pattern = `|1|${salt.toString("base64")}|${hash}`;
    expect(patternMatches(pattern, "10.0.0.9")).toBe(true);
    expect(patternMatches(pattern, "10.0.0.8")).toBe(false);
  });

  it("accepts a pinned key, refuses a changed one with both fingerprints, and calls an unseen host new", () => {
    const pins = parseKnownHosts(`10.0.0.1 ssh-ed25519 ${keyA.toString("base64")}\n# comment\n`);
    expect(judgeHostKey("10.0.0.1", keyA, pins, [], "pins", "user").kind).toBe("known");
    const changed = judgeHostKey("10.0.0.1", keyB, pins, [], "pins", "user");
    expect(changed).toEqual({
      kind: "changed",
      expected: [fingerprint(keyA)],
      actual: fingerprint(keyB),
      source: "pins",
    });
    expect(judgeHostKey("10.0.0.2", keyB, pins, [], "pins", "user").kind).toBe("new");
  });

  it("honours the user's ~/.ssh/known_hosts for the same key type", () => {
    const user = parseKnownHosts(`10.0.0.3,web ssh-ed25519 ${keyA.toString("base64")}\n`);
    expect(judgeHostKey("10.0.0.3", keyA, [], user, "pins", "user").kind).toBe("known");
    expect(judgeHostKey("10.0.0.3", keyB, [], user, "pins", "user").kind).toBe("changed");
  });

  it("pins on first use into a 0600 file and refuses a changed key on the next run", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "np-kh-"));
    const file = path.join(dir, ".np", "known_hosts");
    const userFile = path.join(dir, "user_known_hosts");
    await writeFile(userFile, "");
    const first = await new KnownHosts(file, userFile).load();
    expect((await first.verify("10.0.0.5", 22, keyA)).kind).toBe("new");
    expect((await first.verify("10.0.0.6", 2222, keyB)).kind).toBe("new");
    expect(await readFile(file, "utf8")).toBe(
      `10.0.0.5 ssh-ed25519 ${keyA.toString("base64")}\n[10.0.0.6]:2222 ssh-ed25519 ${keyB.toString("base64")}\n`,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await new KnownHosts(file, userFile).load();
    expect((await second.verify("10.0.0.5", 22, keyA)).kind).toBe("known");
    expect((await second.verify("10.0.0.5", 22, keyB)).kind).toBe("changed");
  });
});

describe("@revoked and @cert-authority lines", () => {
  const keyA = hostKey();
  const keyB = hostKey();
  const line = (key: Buffer) => `ssh-ed25519 ${key.toString("base64")}`;

  it("refuses a revoked key, naming the file and line, even when a pin vouches for it", () => {
    const pins = parseKnownHosts(`# np pins\n10.0.0.1 ${line(keyA)}\n@revoked 10.0.0.1 ${line(keyA)}\n`);
    expect(judgeHostKey("10.0.0.1", keyA, pins, [], "/inv/.np/known_hosts", "user")).toEqual({
      kind: "revoked",
      actual: fingerprint(keyA),
      source: "/inv/.np/known_hosts",
      line: 3,
    });
    // The revoked line is no pin for other keys either: a host's other key is judged as usual.
    expect(judgeHostKey("10.0.0.1", keyB, pins, [], "pins", "user").kind).toBe("changed");
  });

  it("honours revocations in the user's known_hosts, with wildcards and negation", () => {
    const user = parseKnownHosts(`@revoked * ${line(keyA)}\n@revoked 10.0.0.*,!10.0.0.7 ${line(keyB)}\n`);
    expect(judgeHostKey("10.9.9.9", keyA, [], user, "pins", "~/.ssh/known_hosts")).toMatchObject({
      kind: "revoked",
      source: "~/.ssh/known_hosts",
      line: 1,
    });
    expect(judgeHostKey("10.0.0.8", keyB, [], user, "pins", "user")).toMatchObject({
      kind: "revoked",
      line: 2,
    });
    expect(judgeHostKey("10.0.0.7", keyB, [], user, "pins", "user").kind).toBe("new");
    expect(judgeHostKey("[10.0.0.8]:2222", keyB, [], user, "pins", "user").kind).toBe("new");
  });

  it("matches pattern lists as OpenSSH does", () => {
    expect(patternListMatches(["*"], "10.0.0.1")).toBe(true);
    expect(patternListMatches(["10.0.0.?"], "10.0.0.1")).toBe(true);
    expect(patternListMatches(["10.0.0.?"], "10.0.0.10")).toBe(false);
    expect(patternListMatches(["*.example.org", "!db.example.org"], "db.example.org")).toBe(false);
    expect(patternListMatches(["*.Example.org"], "web.example.org")).toBe(true);
    expect(patternListMatches(["10.0.0.1"], "10.0.0.1.evil")).toBe(false);
  });

  it("ignores @cert-authority lines: a CA key never vouches for a host, the host is pinned by its own key", () => {
    const user = parseKnownHosts(`@cert-authority * ${line(keyA)}\n@cert-authority 10.0.0.1 ${line(keyB)}\n`);
    expect(user).toEqual([]);
    expect(judgeHostKey("10.0.0.1", keyA, [], user, "pins", "user").kind).toBe("new");
  });

  it("says which key is revoked where, and what to do", () => {
    const err = connectError(
      { host: "node2", address: "10.0.0.2", port: 22, user: "root" },
      new Error("All configured authentication methods failed"),
      { kind: "revoked", actual: fingerprint(keyA), source: "/inv/.np/known_hosts", line: 3 },
    );
    expect(err.message).toBe(
      `node2: host key ${fingerprint(keyA)} of 10.0.0.2:22 is revoked (@revoked in /inv/.np/known_hosts line 3)`,
    );
    expect(err.hint).toMatch(/refuses a revoked key/);
  });

  it("never pins a revoked key", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "np-kh-"));
    const file = path.join(dir, "known_hosts");
    const userFile = path.join(dir, "user_known_hosts");
    await writeFile(userFile, `@revoked 10.0.0.5 ${line(keyA)}\n`);
    const kh = await new KnownHosts(file, userFile).load();
    expect((await kh.verify("10.0.0.5", 22, keyA)).kind).toBe("revoked");
    await expect(readFile(file, "utf8")).rejects.toThrow(/ENOENT/);
  });
});
