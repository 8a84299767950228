import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchArtifacts } from "../../src/artifacts/index.js";
import type { ArtifactRequest, ArtifactsSettings } from "../../src/artifacts/types.js";
import { Interrupted, OperationError } from "../../src/errors.js";
import { type BuiltMirror, buildMirror } from "../tools/build-mirror.ts";
import { type ServedMirror, serveMirror } from "../tools/mirror-server.ts";

// Mirrors built here pack small fake executables so the tests stay fast; artifacts-real-consul.test.ts packs the
// real Consul binary.
const CONSUL_FAKE = "#!/bin/sh\necho 'Consul v1.8.7 (fake, for tests)'\n";
const NOMAD_DOUBLE_FAKE =
  '#!/usr/bin/env node\nconst VERSION = "0.0.0";\nconsole.log("Nomad v" + VERSION);\n';
const consul: ArtifactRequest = { product: "consul", version: "1.8.7", arch: "amd64" };
const nomad: ArtifactRequest = { product: "nomad", version: "1.9.7", arch: "amd64" };
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

let work: string;
let caches = 0;
const freshCache = () => path.join(work, `cache-${++caches}`);

async function makeMirror(
  name: string,
  extra: { arm64?: boolean; consulText?: string } = {},
): Promise<BuiltMirror> {
  const bin = path.join(work, `${name}-bin`);
  await cp(path.join(work, "bin"), bin, { recursive: true });
  if (extra.consulText) await writeFile(path.join(bin, "consul"), extra.consulText);
  return buildMirror(path.join(work, name), {
    consulBinary: path.join(bin, "consul"),
    nomadDouble: path.join(bin, "nomad-double.mjs"),
    versions: { nomad: "1.9.7" },
    arches: extra.arm64 ? ["amd64", "arm64"] : ["amd64"],
    traefik: { version: "3.7.9", binary: path.join(bin, "traefik") },
    openobserve: { version: "0.14.7", binary: path.join(bin, "openobserve") },
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("fetchArtifacts against a local mirror (source: mirror and dir)", () => {
  let mirror: BuiltMirror;
  let served: ServedMirror;
  let settings: ArtifactsSettings;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "np-artifacts-"));
    const bin = path.join(work, "bin");
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, "consul"), CONSUL_FAKE, { mode: 0o755 });
    await writeFile(path.join(bin, "nomad-double.mjs"), NOMAD_DOUBLE_FAKE);
    await writeFile(path.join(bin, "traefik"), "traefik stand-in");
    await writeFile(path.join(bin, "openobserve"), "openobserve stand-in");
    mirror = await makeMirror("mirror", { arm64: true });
    served = await serveMirror(mirror.dir);
    settings = { source: "mirror", url: served.url, trustedKeys: [mirror.keyPath] };
  });
  afterAll(async () => {
    await served?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("reuses an extracted binary only while it is unchanged, and extracts it again when it was modified", async () => {
    const cacheDir = freshCache();
    const [first] = await fetchArtifacts(settings, [consul], { cacheDir });
    const record = `${first?.binaryPath}.extracted.json`;
    expect(JSON.parse(await readFile(record, "utf8"))).toMatchObject({
      format: 2,
      archive: { path: first?.archivePath, sha256: first?.archiveSha256 },
      binary: { sha256: first?.binarySha256, size: first?.binarySize },
    });
    const [again] = await fetchArtifacts(settings, [consul], { cacheDir });
    expect(again).toEqual(first);
    // Someone edits the cached executable: the record no longer matches, so np extracts the verified archive again.
    await writeFile(first?.binaryPath as string, "#!/bin/sh\necho tampered\n", { mode: 0o755 });
    const [repaired] = await fetchArtifacts(settings, [consul], { cacheDir });
    expect(repaired?.binarySha256).toBe(first?.binarySha256);
    expect(await readFile(first?.binaryPath as string, "utf8")).toBe(CONSUL_FAKE);
  });

  it("downloads, verifies and extracts each distinct binary once, into the cache", async () => {
    const cacheDir = freshCache();
    const before = served.requests.length;
    const progress: string[] = [];
    const got = await fetchArtifacts(settings, [consul, nomad, consul, { ...nomad }], {
      cacheDir,
      onProgress: (m) => progress.push(m),
    });
    expect(got.map((a) => `${a.product} ${a.version} ${a.arch}`)).toEqual([
      "consul 1.8.7 amd64",
      "nomad 1.9.7 amd64",
    ]);
    const [c, n] = got;
    expect(await readFile(c?.binaryPath ?? "", "utf8")).toBe(CONSUL_FAKE);
    const nomadText = await readFile(n?.binaryPath ?? "", "utf8");
    expect(nomadText).toMatch(/\bVERSION = "1\.9\.7";/);
    expect(n?.binarySha256).toBe(sha256(nomadText));
    expect(n?.binarySize).toBe(Buffer.byteLength(nomadText));
    expect((await stat(c?.binaryPath ?? "")).mode & 0o777).toBe(0o755);
    expect(c?.binaryPath).toBe(path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_linux_amd64", "consul"));
    expect(c?.archivePath).toBe(path.join(cacheDir, "consul", "1.8.7", "consul_1.8.7_linux_amd64.zip"));
    const sums = await readFile(path.join(mirror.dir, "consul/1.8.7/consul_1.8.7_SHA256SUMS"), "utf8");
    expect(sums).toContain(`${c?.archiveSha256}  consul_1.8.7_linux_amd64.zip`);
    const asked = served.requests.slice(before);
    expect(asked.filter((p) => p.endsWith("_linux_amd64.zip")).sort()).toEqual([
      "/consul/1.8.7/consul_1.8.7_linux_amd64.zip",
      "/nomad/1.9.7/nomad_1.9.7_linux_amd64.zip",
    ]);
    expect(progress.join("\n")).toContain("sha256 matches consul_1.8.7_SHA256SUMS");
  });

  it("a second fetch is a cache hit: no HTTP request at all", async () => {
    const cacheDir = freshCache();
    const first = await fetchArtifacts(settings, [consul, nomad], { cacheDir });
    const before = served.requests.length;
    const second = await fetchArtifacts(settings, [consul, nomad], { cacheDir });
    expect(served.requests.slice(before)).toEqual([]);
    expect(second).toEqual(first);
  });

  it("refuses a tampered zip, naming the file and both hashes, and keeps nothing of it in the cache", async () => {
    const bad = await makeMirror("tampered");
    const zipRel = "nomad/1.9.7/nomad_1.9.7_linux_amd64.zip";
    const evil = zipSync({ nomad: new TextEncoder().encode("#!/bin/sh\necho pwned\n") });
    await writeFile(path.join(bad.dir, zipRel), evil);
    const expected = (await readFile(path.join(bad.dir, "nomad/1.9.7/nomad_1.9.7_SHA256SUMS"), "utf8")).slice(
      0,
      64,
    );
    const badServer = await serveMirror(bad.dir);
    const cacheDir = freshCache();
    try {
      const err = await fetchArtifacts(
        { source: "mirror", url: badServer.url, trustedKeys: [bad.keyPath] },
        [nomad],
        {
          cacheDir,
        },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as Error).message).toBe(
        `nomad_1.9.7_linux_amd64.zip: sha256 is ${sha256(evil)} but nomad_1.9.7_SHA256SUMS says ${expected}; refusing to install it`,
      );
      expect(badServer.requests).toContain(`/${zipRel}`);
    } finally {
      await badServer.close();
    }
    // Only the (verified) checksums, signature and np's record of that are cached: no archive, no binary, no
    // temporary file.
    expect((await filesUnder(cacheDir)).sort()).toEqual([
      path.join("nomad", "1.9.7", "nomad_1.9.7_SHA256SUMS"),
      path.join("nomad", "1.9.7", "nomad_1.9.7_SHA256SUMS.sig"),
      path.join("nomad", "1.9.7", "nomad_1.9.7_SHA256SUMS.verified.json"),
    ]);
    // The same tampered folder as `source: dir` is refused too.
    const dirErr = fetchArtifacts({ source: "dir", dir: bad.dir, trustedKeys: [bad.keyPath] }, [nomad], {
      cacheDir,
    });
    await expect(dirErr).rejects.toThrow(
      `sha256 is ${sha256(evil)} but nomad_1.9.7_SHA256SUMS says ${expected}`,
    );
  });

  it("a cached archive that does not match its checksums is downloaded again, never used", async () => {
    const cacheDir = freshCache();
    const [first] = await fetchArtifacts(settings, [consul], { cacheDir });
    await writeFile(first?.archivePath ?? "", "corrupted");
    const before = served.requests.length;
    const [again] = await fetchArtifacts(settings, [consul], { cacheDir });
    expect(served.requests.slice(before)).toEqual(["/consul/1.8.7/consul_1.8.7_linux_amd64.zip"]);
    expect(again?.archiveSha256).toBe(first?.archiveSha256);
    expect(await readFile(again?.binaryPath ?? "", "utf8")).toBe(CONSUL_FAKE);
  });

  it("refuses a SHA256SUMS signed by a key that is not trusted, before downloading the archive", async () => {
    const before = served.requests.length;
    const err = fetchArtifacts({ ...settings, trustedKeys: [] }, [consul], { cacheDir: freshCache() });
    await expect(err).rejects.toThrow(
      "consul_1.8.7_SHA256SUMS: the signature does not verify with any trusted key (tried C874011F0AB405110D02105534365D9472D7468F)",
    );
    expect(served.requests.slice(before).some((p) => p.endsWith(".zip"))).toBe(false);
  });

  it("a cache filled from another source is re-verified with today's keys: untrusted sums are fetched again", async () => {
    const cacheDir = freshCache();
    await fetchArtifacts(settings, [consul], { cacheDir });
    const other = await makeMirror("other", { consulText: "#!/bin/sh\necho other consul\n" });
    const otherServer = await serveMirror(other.dir);
    try {
      const [got] = await fetchArtifacts(
        { source: "mirror", url: otherServer.url, trustedKeys: [other.keyPath] },
        [consul],
        {
          cacheDir,
        },
      );
      expect(await readFile(got?.binaryPath ?? "", "utf8")).toBe("#!/bin/sh\necho other consul\n");
      expect(otherServer.requests).toContain("/consul/1.8.7/consul_1.8.7_SHA256SUMS");
    } finally {
      await otherServer.close();
    }
  });

  it("refuses a tampered SHA256SUMS and a missing signature (source: dir)", async () => {
    const copy = path.join(work, "dir-copy");
    await cp(mirror.dir, copy, { recursive: true });
    const dirSettings: ArtifactsSettings = { source: "dir", dir: copy, trustedKeys: [mirror.keyPath] };
    const sumsFile = path.join(copy, "consul/1.8.7/consul_1.8.7_SHA256SUMS");
    const original = await readFile(sumsFile, "utf8");
    await writeFile(sumsFile, `${"0".repeat(64)}${original.slice(64)}`);
    await expect(fetchArtifacts(dirSettings, [consul], { cacheDir: freshCache() })).rejects.toThrow(
      /consul_1\.8\.7_SHA256SUMS: the signature does not verify with any trusted key \(tried C874011F0AB405110D02105534365D9472D7468F, [0-9A-F]{40}\)/,
    );
    await writeFile(sumsFile, original);
    await rm(`${sumsFile}.sig`);
    await expect(fetchArtifacts(dirSettings, [consul], { cacheDir: freshCache() })).rejects.toThrow(
      `no signature found for consul_1.8.7_SHA256SUMS: tried ${sumsFile}.72D7468F.sig, ${sumsFile}.sig`,
    );
  });

  it("source: dir reads the folder in place and extracts into the cache", async () => {
    const cacheDir = freshCache();
    const [c, t] = await fetchArtifacts(
      mirror.artifacts,
      [consul, { product: "traefik", version: "3.7.9", arch: "arm64" }],
      { cacheDir },
    );
    expect(c?.archivePath).toBe(path.join(mirror.dir, "consul", "1.8.7", "consul_1.8.7_linux_amd64.zip"));
    expect(c?.signaturePath).toBe(path.join(mirror.dir, "consul", "1.8.7", "consul_1.8.7_SHA256SUMS.sig"));
    expect(c?.binaryPath.startsWith(cacheDir)).toBe(true);
    expect(await readFile(c?.binaryPath ?? "", "utf8")).toBe(CONSUL_FAKE);
    expect(await readFile(t?.binaryPath ?? "", "utf8")).toBe("traefik stand-in");
  });

  it("traefik (checksums.txt) and openobserve (.sha256sum) tarballs come through a mirror too", async () => {
    const got = await fetchArtifacts(
      settings,
      [
        { product: "traefik", version: "3.7.9", arch: "amd64" },
        { product: "openobserve", version: "0.14.7", arch: "arm64" },
      ],
      { cacheDir: freshCache() },
    );
    expect(await readFile(got[0]?.binaryPath ?? "", "utf8")).toBe("traefik stand-in");
    expect(path.basename(got[1]?.binaryPath ?? "")).toBe("openobserve");
    expect(await readFile(got[1]?.binaryPath ?? "", "utf8")).toBe("openobserve stand-in");
    expect(got[1]?.checksumsPath.endsWith("openobserve-v0.14.7-linux-arm64.tar.gz.sha256sum")).toBe(true);
  });

  it("a missing file is an error with the URL (or path) and the HTTP status", async () => {
    const missing = { product: "nomad" as const, version: "9.9.9", arch: "amd64" as const };
    await expect(fetchArtifacts(settings, [missing], { cacheDir: freshCache() })).rejects.toThrow(
      `not found: ${served.url}nomad/9.9.9/nomad_9.9.9_SHA256SUMS (HTTP 404)`,
    );
    await expect(fetchArtifacts(mirror.artifacts, [missing], { cacheDir: freshCache() })).rejects.toThrow(
      `not found: ${path.join(mirror.dir, "nomad", "9.9.9", "nomad_9.9.9_SHA256SUMS")}`,
    );
  });

  it("follows redirects and retries a transient 503", async () => {
    let failures = 0;
    const flaky = await serveMirror(mirror.dir, {
      intercept: (p) => (p.endsWith("consul_1.8.7_linux_amd64.zip") && failures++ === 0 ? 503 : undefined),
    });
    try {
      const [got] = await fetchArtifacts({ ...settings, url: `${flaky.url}redirect/` }, [consul], {
        cacheDir: freshCache(),
      });
      expect(await readFile(got?.binaryPath ?? "", "utf8")).toBe(CONSUL_FAKE);
      expect(flaky.requests.filter((p) => p.endsWith("consul_1.8.7_linux_amd64.zip"))).toEqual([
        "/redirect/consul/1.8.7/consul_1.8.7_linux_amd64.zip",
        "/redirect/consul/1.8.7/consul_1.8.7_linux_amd64.zip",
        "/consul/1.8.7/consul_1.8.7_linux_amd64.zip",
      ]);
    } finally {
      await flaky.close();
    }
  });

  it("stops on Ctrl-C (an aborted signal) with Interrupted", async () => {
    const abort = new AbortController();
    abort.abort();
    const err = fetchArtifacts(settings, [consul], { cacheDir: freshCache(), signal: abort.signal });
    await expect(err).rejects.toBeInstanceOf(Interrupted);
  });
});
