import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchArtifacts } from "../../src/artifacts/index.js";
import { type BuiltMirror, buildMirror, ensureConsulBinary, NOMAD_DOUBLE } from "../tools/build-mirror.ts";
import { type ServedMirror, serveMirror } from "../tools/mirror-server.ts";

// The mirror the end-to-end tests use: the REAL Consul 1.8.7 binary (68 MB) and the Nomad double, over HTTP.
const hasDouble = existsSync(NOMAD_DOUBLE);

describe("test mirror with the real Consul binary", () => {
  let work: string;
  let mirror: BuiltMirror;
  let served: ServedMirror;
  let consulBinary: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "np-real-mirror-"));
    consulBinary = ensureConsulBinary();
    let nomadDouble = NOMAD_DOUBLE;
    if (!hasDouble) {
      console.warn(
        `artifacts-real-consul: ${NOMAD_DOUBLE} is absent; packing a stand-in with a VERSION line`,
      );
      nomadDouble = path.join(work, "nomad-stand-in.mjs");
      await writeFile(nomadDouble, 'const VERSION = "0";\n');
    }
    mirror = await buildMirror(path.join(work, "mirror"), {
      consulBinary,
      nomadDouble,
      versions: { nomad: "1.10.4" },
    });
    served = await serveMirror(mirror.dir);
  }, 180_000);
  afterAll(async () => {
    await served?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("fetches, verifies and extracts a consul that runs, and the Nomad double at the version asked", async () => {
    const got = await fetchArtifacts(
      { source: "mirror", url: served.url, trustedKeys: [mirror.keyPath] },
      [
        { product: "consul", version: "1.8.7", arch: "amd64" },
        { product: "nomad", version: "1.10.4", arch: "amd64" },
      ],
      { cacheDir: path.join(work, "cache") },
    );
    const [consul, nomad] = got;
    const real = await readFile(consulBinary);
    expect(consul?.binarySize).toBe(real.length);
    expect(consul?.binarySha256).toBe(createHash("sha256").update(real).digest("hex"));
    expect(execFileSync(consul?.binaryPath ?? "", ["version"], { encoding: "utf8" })).toMatch(
      /^Consul v1\.8\.7/,
    );
    expect(await readFile(nomad?.binaryPath ?? "", "utf8")).toMatch(/\bVERSION = "1\.10\.4";/);
    if (hasDouble) {
      const version = execFileSync(process.execPath, [nomad?.binaryPath ?? "", "version"], {
        encoding: "utf8",
      });
      expect(version).toMatch(/^Nomad v1\.10\.4/);
    }
  }, 120_000);
});
