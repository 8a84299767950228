import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchArtifacts } from "../../src/artifacts/index.js";
import { runNp } from "../helpers/run-np.js";
import { type BuiltMirror, buildMirror, tarGz } from "../tools/build-mirror.ts";

const SERVER = fileURLToPath(new URL("../tools/mirror-server.ts", import.meta.url));
const CONSUL_FAKE = "#!/bin/sh\necho 'Consul v1.8.7 (fake, for tests)'\n";
const NODE_FAKE = "#!/bin/sh\necho v24.22.3 (fake, for tests)\n";
const TRAEFIK_FAKE = "#!/bin/sh\necho 'Version: 3.7.9 (fake, for tests)'\n";
const OPENOBSERVE_FAKE = "#!/bin/sh\necho 'openobserve v0.14.7 (fake, for tests)'\n";

/** runNp blocks this process while np runs, so the mirror is served by a child process. */
async function serveInChild(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVER, dir], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`mirror-server exited with ${code}`)));
  });
  return { url, child };
}

function inventory(url: string, keyPath: string): string {
  return `cluster: { name: t }
hosts:
  - { name: n1, address: 127.0.0.1, roles: [server, client] }
  - { name: n2, address: 127.0.0.2, roles: [server, client] }
  - { name: n3, address: 127.0.0.3, roles: [server, edge, observe] }
versions: { nomad: "1.10.5", consul: "1.8.7", node: "24.22.3" }
artifacts:
  source: mirror
  url: ${url}
  trusted_keys: [${keyPath}]
`;
}

describe("np artifacts fetch --dir", () => {
  let work: string;
  let mirror: BuiltMirror;
  let server: { url: string; child: ChildProcess };
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "np-artifacts-cli-"));
    await mkdir(path.join(work, "bin"));
    await writeFile(path.join(work, "bin", "consul"), CONSUL_FAKE);
    await writeFile(path.join(work, "bin", "nomad.mjs"), 'const VERSION = "0";\n');
    await writeFile(path.join(work, "bin", "node"), NODE_FAKE);
    await writeFile(path.join(work, "bin", "traefik"), TRAEFIK_FAKE);
    await writeFile(path.join(work, "bin", "openobserve"), OPENOBSERVE_FAKE);
    mirror = await buildMirror(path.join(work, "mirror"), {
      consulBinary: path.join(work, "bin", "consul"),
      nomadDouble: path.join(work, "bin", "nomad.mjs"),
      arches: ["amd64", "arm64"],
      node: { version: "24.22.3", binary: path.join(work, "bin", "node") },
      traefik: { version: "3.7.9", binary: path.join(work, "bin", "traefik") },
      openobserve: { version: "0.14.7", binary: path.join(work, "bin", "openobserve") },
    });
    server = await serveInChild(mirror.dir);
    await mkdir(path.join(work, "site"));
    await writeFile(path.join(work, "site", "inventory.yaml"), inventory(server.url, mirror.keyPath));
    env = { NP_CACHE_DIR: path.join(work, "cache"), NP_INVENTORY: "" };
  });
  afterAll(async () => {
    server?.child.kill();
    await rm(work, { recursive: true, force: true });
  });

  it("writes every binary the inventory's components need, with checksums and signatures, usable as `source: dir`", async () => {
    const r = runNp(["artifacts", "fetch", "--dir", "out"], { cwd: path.join(work, "site"), env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = path.join(work, "site", "out");
    const expected = [
      "consul/1.8.7/consul_1.8.7_SHA256SUMS",
      "consul/1.8.7/consul_1.8.7_SHA256SUMS.sig",
      "consul/1.8.7/consul_1.8.7_linux_amd64.zip",
      "nomad/1.10.5/nomad_1.10.5_SHA256SUMS",
      "nomad/1.10.5/nomad_1.10.5_SHA256SUMS.sig",
      "nomad/1.10.5/nomad_1.10.5_linux_amd64.zip",
      "node/24.22.3/SHASUMS256.txt",
      "node/24.22.3/SHASUMS256.txt.sig",
      "node/24.22.3/node-v24.22.3-linux-x64.tar.gz",
      "traefik/3.7.9/traefik_v3.7.9_checksums.txt",
      "traefik/3.7.9/traefik_v3.7.9_linux_amd64.tar.gz",
      "openobserve/0.14.7/openobserve-v0.14.7-linux-amd64.tar.gz",
      "openobserve/0.14.7/openobserve-v0.14.7-linux-amd64.tar.gz.sha256sum",
    ];
    for (const f of expected) {
      expect(r.stdout).toContain(path.join(out, f));
      expect(await readFile(path.join(out, f))).toEqual(await readFile(path.join(mirror.dir, f)));
    }
    expect(r.stdout).not.toContain("arm64");
    expect(r.stdout).toContain(`source: dir\n    dir: ${out}`);
    // The folder works on its own (as on an air-gapped machine), re-verified from scratch.
    const again = await fetchArtifacts(
      { source: "dir", dir: out, trustedKeys: [mirror.keyPath] },
      [{ product: "nomad", version: "1.10.5", arch: "amd64" }],
      { cacheDir: path.join(work, "cache-airgap") },
    );
    expect(await readFile(again[0]?.binaryPath ?? "", "utf8")).toMatch(/\bVERSION = "1\.10\.5";/);
  });

  it("--arch and --json: lists the files as data", async () => {
    // OpenObserve has one checksums file per archive: make arm64's differ from amd64's, as real releases do.
    const oo = path.join(mirror.dir, "openobserve", "0.14.7", "openobserve-v0.14.7-linux-arm64.tar.gz");
    const arm = tarGz([
      { name: "openobserve", data: new TextEncoder().encode("#!/bin/sh\necho arm64\n"), mode: 0o755 },
    ]);
    await writeFile(oo, arm);
    await writeFile(`${oo}.sha256sum`, `${createHash("sha256").update(arm).digest("hex")}\n`);
    const r = runNp(["artifacts", "fetch", "--dir", "out2", "--arch", "arm64,amd64", "--json"], {
      cwd: path.join(work, "site"),
      env,
    });
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as {
      dir: string;
      files: { path: string; size: number; sha256: string }[];
    };
    expect(data.dir).toBe(path.join(work, "site", "out2"));
    expect(data.files.map((f) => f.path)).toEqual([
      "consul/1.8.7/consul_1.8.7_SHA256SUMS",
      "consul/1.8.7/consul_1.8.7_SHA256SUMS.sig",
      "consul/1.8.7/consul_1.8.7_linux_amd64.zip",
      "consul/1.8.7/consul_1.8.7_linux_arm64.zip",
      "node/24.22.3/SHASUMS256.txt",
      "node/24.22.3/SHASUMS256.txt.sig",
      "node/24.22.3/node-v24.22.3-linux-arm64.tar.gz",
      "node/24.22.3/node-v24.22.3-linux-x64.tar.gz",
      "nomad/1.10.5/nomad_1.10.5_SHA256SUMS",
      "nomad/1.10.5/nomad_1.10.5_SHA256SUMS.sig",
      "nomad/1.10.5/nomad_1.10.5_linux_amd64.zip",
      "nomad/1.10.5/nomad_1.10.5_linux_arm64.zip",
      "openobserve/0.14.7/openobserve-v0.14.7-linux-amd64.tar.gz",
      "openobserve/0.14.7/openobserve-v0.14.7-linux-amd64.tar.gz.sha256sum",
      "openobserve/0.14.7/openobserve-v0.14.7-linux-arm64.tar.gz",
      "openobserve/0.14.7/openobserve-v0.14.7-linux-arm64.tar.gz.sha256sum",
      "traefik/3.7.9/traefik_v3.7.9_checksums.txt",
      "traefik/3.7.9/traefik_v3.7.9_linux_amd64.tar.gz",
      "traefik/3.7.9/traefik_v3.7.9_linux_arm64.tar.gz",
    ]);
    expect(data.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.size > 0)).toBe(true);
  });

  it("refuses a tampered mirror with exit 1 and both hashes, and an unknown --arch with exit 2", async () => {
    const zip = path.join(mirror.dir, "nomad/1.10.5/nomad_1.10.5_linux_amd64.zip");
    const good = await readFile(zip);
    await writeFile(zip, zipSync({ nomad: new TextEncoder().encode("evil") }));
    try {
      const r = runNp(["artifacts", "fetch", "--dir", "out3"], {
        cwd: path.join(work, "site"),
        env: { ...env, NP_CACHE_DIR: path.join(work, "cache-fresh") },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error: nomad_1\.10\.5_linux_amd64\.zip: sha256 is [0-9a-f]{64} but nomad_1\.10\.5_SHA256SUMS says [0-9a-f]{64}; refusing to install it/,
      );
      expect(existsSync(path.join(work, "site", "out3"))).toBe(false);
    } finally {
      await writeFile(zip, good);
    }
    const bad = runNp(["artifacts", "fetch", "--arch", "armv7"], { cwd: path.join(work, "site"), env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"armv7" is not an architecture np installs');
  });
});
