import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proofOf, recordPathOf } from "../../src/artifacts/extraction-record.js";
import { fetchArtifacts, verifiedPayload } from "../../src/artifacts/index.js";
import type { ArtifactRequest, ArtifactsSettings, FetchedArtifact } from "../../src/artifacts/types.js";
import { OperationError } from "../../src/errors.js";
import { type BuiltMirror, buildMirror } from "../tools/build-mirror.ts";
import { type ServedMirror, serveMirror } from "../tools/mirror-server.ts";

// Every file np keeps in its local cache is tampered with in turn: each time np names the file and heals it (or
// refuses), and the bytes it would send to a host are always the verified ones.
const CONSUL = "#!/bin/sh\necho 'Consul v1.8.7 (fake, for tests)'\n";
const EVIL = "#!/bin/sh\necho pwned\n";
const consul: ArtifactRequest = { product: "consul", version: "1.8.7", arch: "amd64" };
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const GOOD = sha256(CONSUL);

interface Run {
  artifact: FetchedArtifact;
  warnings: string[];
  progress: string[];
}

describe("a tampered local cache is named and healed, and never reaches a host", () => {
  let work: string;
  let mirror: BuiltMirror;
  let served: ServedMirror;
  let settings: ArtifactsSettings;
  let caches = 0;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "np-cache-"));
    await mkdir(path.join(work, "bin"));
    await writeFile(path.join(work, "bin", "consul"), CONSUL, { mode: 0o755 });
    await writeFile(path.join(work, "bin", "nomad.mjs"), 'const VERSION = "0";\n');
    mirror = await buildMirror(path.join(work, "mirror"), {
      consulBinary: path.join(work, "bin", "consul"),
      nomadDouble: path.join(work, "bin", "nomad.mjs"),
    });
    served = await serveMirror(mirror.dir);
    settings = { source: "mirror", url: served.url, trustedKeys: [mirror.keyPath] };
  });
  afterAll(async () => {
    await served?.close();
    await rm(work, { recursive: true, force: true });
  });

  const fetchOnce = async (cacheDir: string, s = settings): Promise<Run> => {
    const warnings: string[] = [];
    const progress: string[] = [];
    const [artifact] = await fetchArtifacts(s, [consul], {
      cacheDir,
      onWarning: (m) => warnings.push(m),
      onProgress: (m) => progress.push(m),
    });
    return { artifact: artifact as FetchedArtifact, warnings, progress };
  };
  /** What np would send to a host: the gzip must unpack to the verified consul, whatever the cache held. */
  const payloadOf = async (run: Run) => {
    const payload = await verifiedPayload(run.artifact, { onWarning: (m) => run.warnings.push(m) });
    expect(payload.sha256).toBe(GOOD);
    expect(sha256(gunzipSync(payload.gzip))).toBe(GOOD);
    return payload;
  };
  /** A filled cache whose proofs have settled (as on any later run: the files were written seconds before). */
  const filledCache = async () => {
    const cacheDir = path.join(work, `cache-${++caches}`);
    const run = await fetchOnce(cacheDir);
    await payloadOf(run);
    await settle(run.artifact.binaryPath);
    await settleSignatureRecord(cacheDir);
    return { cacheDir, a: run.artifact, gz: `${run.artifact.binaryPath}.gz` };
  };

  it("a run with a settled cache hashes and extracts nothing, and sends the verified bytes", async () => {
    const { cacheDir, a } = await filledCache();
    const again = await fetchOnce(cacheDir);
    const { confirmChecksums, ...same } = again.artifact;
    expect(same).toEqual(a);
    // The signature was verified by the first run; this one takes np's record of it, to verify before sending.
    expect(a.confirmChecksums).toBeUndefined();
    expect(confirmChecksums).toBeTypeOf("function");
    expect(again.progress).toEqual([]); // neither "sha256 matches" (hashed) nor "extracting"
    expect(again.warnings).toEqual([]);
    const payload = await payloadOf(again);
    expect(again.warnings).toEqual([]);
    expect(await verifiedPayload(again.artifact)).toBe(payload); // made once per fetched artifact
  });

  it("a proof taken within the same clock tick as the write is checked once more, silently", async () => {
    const cacheDir = path.join(work, `cache-${++caches}`);
    await fetchOnce(cacheDir);
    const second = await fetchOnce(cacheDir);
    expect(second.artifact.confirmChecksums).toBeUndefined(); // the signature record has not settled either
    expect(second.progress.join("\n")).toContain("sha256 matches consul_1.8.7_SHA256SUMS");
    expect(second.progress.join("\n")).not.toContain("extracting"); // the executable is hashed, not rebuilt
    expect(second.warnings).toEqual([]);
  });

  it("a tampered archive is named and downloaded again", async () => {
    const { cacheDir, a } = await filledCache();
    await writeFile(a.archivePath, "garbage");
    const run = await fetchOnce(cacheDir);
    expect(run.warnings).toEqual([`local cache at ${a.archivePath} is corrupt: re-fetching it`]);
    expect(sha256(await readFile(a.archivePath))).toBe(a.archiveSha256);
    await payloadOf(run);
  });

  it("an archive tampered with after the fetch is caught when the payload is made", async () => {
    const { cacheDir } = await filledCache();
    const run = await fetchOnce(cacheDir);
    await writeFile(run.artifact.archivePath, "garbage");
    await payloadOf(run);
    expect(run.warnings).toEqual([`local cache at ${run.artifact.archivePath} is corrupt: re-fetching it`]);
  });

  for (const file of ["consul_1.8.7_SHA256SUMS", "consul_1.8.7_SHA256SUMS.sig"]) {
    it(`a tampered ${file} is named and fetched again`, async () => {
      const { cacheDir } = await filledCache();
      const cached = path.join(cacheDir, "consul", "1.8.7", file);
      const original = await readFile(cached);
      const tampered = Buffer.from(original);
      tampered[tampered.length - 3] = (tampered[tampered.length - 3] ?? 0) ^ 0xff;
      await writeFile(cached, tampered);
      const run = await fetchOnce(cacheDir);
      expect(run.warnings).toEqual([
        `local cache at ${path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_SHA256SUMS")} (with ${path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_SHA256SUMS.sig")}) is corrupt or signed by a key not trusted now: re-fetching it`,
      ]);
      expect(await readFile(cached)).toEqual(original);
      await payloadOf(run);
    });
  }

  it("a deleted signature is named, and both files are fetched again", async () => {
    const { cacheDir } = await filledCache();
    const sums = path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_SHA256SUMS");
    await rm(`${sums}.sig`);
    const run = await fetchOnce(cacheDir);
    expect(run.warnings).toEqual([
      `local cache at ${sums} is corrupt (its signature is missing): re-fetching it`,
    ]);
    expect((await stat(`${sums}.sig`)).size).toBeGreaterThan(0);
  });

  it("a tampered extracted binary is named and rebuilt from the verified archive", async () => {
    const { cacheDir, a } = await filledCache();
    await writeFile(a.binaryPath, EVIL);
    const run = await fetchOnce(cacheDir);
    expect(run.warnings).toEqual([
      `local cache at ${a.binaryPath} is corrupt: rebuilding it from the verified archive`,
    ]);
    expect(run.artifact.binarySha256).toBe(GOOD);
    expect(await readFile(a.binaryPath, "utf8")).toBe(CONSUL);
    await payloadOf(run);
  });

  it("an unreadable extraction record is named and rebuilt", async () => {
    const { cacheDir, a } = await filledCache();
    await writeFile(recordPathOf(a.binaryPath), "{ not json");
    const run = await fetchOnce(cacheDir);
    expect(run.warnings).toEqual([
      `local cache at ${recordPathOf(a.binaryPath)} is corrupt: rebuilding it from the verified archive`,
    ]);
    expect(JSON.parse(await readFile(recordPathOf(a.binaryPath), "utf8")).binary.sha256).toBe(GOOD);
  });

  it("a record that claims another sha256 is caught before anything is sent, and rewritten", async () => {
    const { cacheDir, a } = await filledCache();
    await editRecord(a.binaryPath, (r) => ({ ...r, binary: { ...r.binary, sha256: sha256(EVIL) } }));
    const run = await fetchOnce(cacheDir);
    // Its proofs still hold, so a run that installs nothing takes its word...
    expect(run.artifact.binarySha256).toBe(sha256(EVIL));
    // ...but installing derives the sha256 from the archive and names the record.
    await payloadOf(run);
    expect(run.warnings).toEqual([
      `local cache at ${recordPathOf(a.binaryPath)} is corrupt: rebuilding it from the verified archive`,
    ]);
    expect((await fetchOnce(cacheDir)).artifact.binarySha256).toBe(GOOD);
  });

  it("a forged pair (an evil binary and a record that vouches for it) never reaches a host", async () => {
    const { cacheDir, a } = await filledCache();
    await writeFile(a.binaryPath, EVIL);
    const proof = (await proofOf(a.binaryPath)) as string;
    await editRecord(a.binaryPath, (r) => ({
      ...r,
      binary: { sha256: sha256(EVIL), size: EVIL.length, proof },
    }));
    await settle(a.binaryPath);
    const run = await fetchOnce(cacheDir);
    expect(run.artifact.binarySha256).toBe(sha256(EVIL));
    await payloadOf(run);
    expect(run.warnings).toEqual([
      `local cache at ${recordPathOf(a.binaryPath)} is corrupt: rebuilding it from the verified archive`,
      `local cache at ${a.binaryPath} is corrupt: rebuilding it from the verified archive`,
    ]);
    expect(await readFile(a.binaryPath, "utf8")).toBe(CONSUL);
  });

  it("a forged signature record (changed SHA256SUMS, a record vouching for it) never lets a payload be made", async () => {
    const { cacheDir, a } = await filledCache();
    const sums = path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_SHA256SUMS");
    // The consul line stays right, so the fetch goes through on the record's word...
    await writeFile(sums, `${await readFile(sums, "utf8")}${"0".repeat(64)}  evil_1.0_linux_amd64.zip\n`);
    const record = signatureRecordOf(cacheDir);
    const forged = JSON.parse(await readFile(record, "utf8")) as SigRecord;
    forged.checksums.proof = (await proofOf(sums)) as string;
    await writeFile(record, JSON.stringify(forged));
    await settleSignatureRecord(cacheDir);
    const run = await fetchOnce(cacheDir);
    expect(run.artifact.archiveSha256).toBe(a.archiveSha256);
    expect(run.artifact.confirmChecksums).toBeTypeOf("function");
    // ...but making what would be sent verifies the signature, in this run, and refuses.
    const err = (await verifiedPayload(run.artifact).catch((e: unknown) => e)) as OperationError;
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toContain(
      "consul_1.8.7_SHA256SUMS: the signature does not verify with any trusted key",
    );
  });

  it("a signature record counts only under the keys it was made with", async () => {
    const { cacheDir } = await filledCache();
    // Today's trusted_keys no longer hold the mirror's key: the record must not vouch for its checksums.
    const err = fetchOnce(cacheDir, { ...settings, trustedKeys: [] });
    await expect(err).rejects.toThrow("consul_1.8.7_SHA256SUMS: the signature does not verify");
    // And a key file edited since the record was made counts as another trust too.
    const { cacheDir: other } = await filledCache();
    const keyCopy = path.join(work, `key-${caches}.asc`);
    await writeFile(keyCopy, await readFile(mirror.keyPath));
    const withCopy = { ...settings, trustedKeys: [keyCopy] };
    expect((await fetchOnce(other, withCopy)).artifact.confirmChecksums).toBeUndefined();
  });

  it("source: dir: a settled signature record spares the check of a run that sends nothing", async () => {
    const dirSettings: ArtifactsSettings = { source: "dir", dir: mirror.dir, trustedKeys: [mirror.keyPath] };
    const cacheDir = path.join(work, `cache-${++caches}`);
    const first = await fetchOnce(cacheDir, dirSettings);
    expect(first.artifact.confirmChecksums).toBeUndefined();
    await settleSignatureRecord(cacheDir);
    const again = await fetchOnce(cacheDir, dirSettings);
    expect(again.artifact.confirmChecksums).toBeTypeOf("function");
    await payloadOf(again);
  });

  it("a tampered gzip copy is named and rebuilt, and what is sent unpacks to the verified binary", async () => {
    const { cacheDir, gz } = await filledCache();
    const before = await stat(gz);
    await writeFile(gz, gzipSync(EVIL));
    const run = await fetchOnce(cacheDir);
    expect(run.warnings).toEqual([]); // a run that installs nothing does not read it
    await payloadOf(run);
    expect(run.warnings).toEqual([
      `local cache at ${gz} is corrupt: rebuilding it from the verified archive`,
    ]);
    expect(sha256(gunzipSync(await readFile(gz)))).toBe(GOOD);
    expect((await stat(gz)).size).toBe(before.size);
  });

  it("source: dir never changes the user's folder: a corrupt archive is refused, saying it is still there", async () => {
    const copy = path.join(work, "dir-source");
    await cp(mirror.dir, copy, { recursive: true });
    const zip = path.join(copy, "consul", "1.8.7", "consul_1.8.7_linux_amd64.zip");
    const dirSettings: ArtifactsSettings = { source: "dir", dir: copy, trustedKeys: [mirror.keyPath] };
    const cacheDir = path.join(work, `cache-${++caches}`);
    const run = await fetchOnce(cacheDir, dirSettings);
    expect(run.artifact.archiveUrl).toBeUndefined();
    await writeFile(zip, "garbage");
    for (const attempt of [() => fetchOnce(cacheDir, dirSettings), () => verifiedPayload(run.artifact)]) {
      const err = (await attempt().catch((e: unknown) => e)) as OperationError;
      expect(err).toBeInstanceOf(OperationError);
      expect(err.message).toBe(
        `consul_1.8.7_linux_amd64.zip: sha256 is ${sha256("garbage")} but consul_1.8.7_SHA256SUMS says ${run.artifact.archiveSha256}; refusing to install it`,
      );
      expect(err.hint).toContain(`it is still at ${zip} (np never changes artifacts.dir)`);
      expect(err.hint).not.toContain("not kept");
    }
    expect(await readFile(zip, "utf8")).toBe("garbage");
  });
});

type Record = {
  archive: { path: string; sha256: string; proof: string };
  binary: { sha256: string; size: number; proof: string };
  recordedAtNs: string;
};

async function editRecord(binaryPath: string, edit: (r: Record) => Record): Promise<void> {
  const file = recordPathOf(binaryPath);
  await writeFile(file, JSON.stringify(edit(JSON.parse(await readFile(file, "utf8")) as Record)));
}

type SigRecord = { checksums: { path: string; proof: string }; recordedAtNs: string };

const signatureRecordOf = (cacheDir: string) =>
  path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_SHA256SUMS.verified.json");

/** Moves the signature record's time 10 s into the future (see settle). */
async function settleSignatureRecord(cacheDir: string): Promise<void> {
  const file = signatureRecordOf(cacheDir);
  const r = JSON.parse(await readFile(file, "utf8")) as SigRecord;
  r.recordedAtNs = String(BigInt(Date.now() + 10_000) * 1_000_000n);
  await writeFile(file, JSON.stringify(r));
}

/** Moves the record's time 10 s into the future, as if it had been written on a later run. */
async function settle(binaryPath: string): Promise<void> {
  const later = BigInt(Date.now() + 10_000) * 1_000_000n;
  await editRecord(binaryPath, (r) => ({ ...r, recordedAtNs: String(later) }));
}
