import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostError } from "../../src/errors.js";
import {
  EXIT_SHA_MISMATCH,
  INSTALL_SCRIPT,
  installFailure,
  RUN_ID,
  stagedPath,
  stagingRanOutOfSpace,
} from "../../src/remote/staged-install.js";

// The install script np runs on hosts, run here with the same sh, gunzip and coreutils as on a Debian node
// (as root, for chown). The full-disk paths run on sandbox nodes in test/e2e/artifacts-faults.test.ts.
const isRoot = process.getuid?.() === 0;
// CI runs as root: there a missing requirement is a failure, never a skip.
if (!isRoot && process.env.CI === "true")
  throw new Error("artifacts-staged-install needs root (chown) under CI");
if (!isRoot) console.warn("skipping artifacts-staged-install: needs root (chown)");
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");
const NEW = "#!/bin/sh\necho new\n";
const OLD = "#!/bin/sh\necho old\n";

describe.skipIf(!isRoot)("the install script: unpack, hash on the host, rename only on a match", () => {
  let work: string;
  let staging: string;
  let bin: string;
  let spy: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "np-install-script-"));
    staging = path.join(work, "tmp");
    bin = path.join(work, "bin");
    spy = path.join(work, "spy");
    await mkdir(staging);
    await mkdir(bin);
    // A sha256sum that records the mode of what it hashes: the unpacked file must be private until it is checked.
    await mkdir(spy);
    await writeFile(
      path.join(spy, "sha256sum"),
      `#!/bin/sh\nstat -c %a "$1" >> "${work}/modes"\nexec /usr/bin/sha256sum "$@"\n`,
      { mode: 0o755 },
    );
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const stage = async (data: Uint8Array | string) => {
    const file = path.join(staging, path.basename(stagedPath("/usr/local/bin/consul", true)));
    await writeFile(file, data, { mode: 0o600 });
    return file;
  };
  const install = (staged: string, dest: string, kind: "gz" | "plain", sha: string, mode = "0755") =>
    spawnSync("sh", ["-c", INSTALL_SCRIPT, "sh", mode, "root", "root", staged, dest, kind, sha, RUN_ID], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${spy}:${process.env.PATH}` },
    });
  const leftovers = async () =>
    (await readdir(bin)).filter((f) => f.startsWith(".np-") || f.includes("np-tmp"));

  it("installs a gzipped binary whose sha256 matches, with mode and owner, and removes the staged file", async () => {
    const dest = path.join(bin, "consul");
    await writeFile(dest, OLD, { mode: 0o755 });
    const staged = await stage(gzipSync(NEW));
    const r = install(staged, dest, "gz", sha256(NEW));
    expect(r.status, r.stderr).toBe(0);
    expect(await readFile(dest, "utf8")).toBe(NEW);
    const s = await stat(dest);
    expect([s.mode & 0o777, s.uid, s.gid]).toEqual([0o755, 0, 0]);
    expect(existsSync(staged)).toBe(false);
    expect(await leftovers()).toEqual([]);
    expect((await readFile(path.join(work, "modes"), "utf8")).trim().split("\n").at(-1)).toBe("600");
  });

  it("a file that unpacks to another sha256 never reaches its path; staged and unpacked files are removed", async () => {
    const dest = path.join(bin, "nomad");
    await writeFile(dest, OLD, { mode: 0o755 });
    const staged = await stage(gzipSync("#!/bin/sh\necho evil\n"));
    const r = install(staged, dest, "gz", sha256(NEW));
    expect(r.status).toBe(EXIT_SHA_MISMATCH);
    expect(r.stdout.trim()).toBe(sha256("#!/bin/sh\necho evil\n"));
    expect(await readFile(dest, "utf8")).toBe(OLD);
    expect(existsSync(staged)).toBe(false);
    expect(await leftovers()).toEqual([]);
    const err = installFailure(
      { host: "node4", dest: "/usr/local/bin/nomad", stagedSize: 20, size: 20 },
      { code: r.status, stdout: r.stdout, stderr: r.stderr },
      sha256(NEW),
    );
    expect(err).toBeInstanceOf(HostError);
    expect(err?.message).toBe(
      `node4: /usr/local/bin/nomad: the uploaded file unpacks to sha256 ${r.stdout.trim()} on the host, expected ${sha256(NEW)}; not installed (np removed the staged file)`,
    );
  });

  it("a plain file (a config) gets its mode; a corrupt gzip fails with gunzip's words and leaves nothing", async () => {
    const conf = path.join(bin, "consul.hcl");
    const r = install(await stage("gossip = secret\n"), conf, "plain", sha256("gossip = secret\n"), "0640");
    expect(r.status, r.stderr).toBe(0);
    expect((await stat(conf)).mode & 0o777).toBe(0o640);
    const staged = await stage("not gzip at all");
    const bad = install(staged, path.join(bin, "traefik"), "gz", sha256(NEW));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("not in gzip format");
    expect(existsSync(path.join(bin, "traefik"))).toBe(false);
    expect(existsSync(staged)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it("removes what dead runs left beside the destination, never this run's own files", async () => {
    const dest = path.join(bin, "consul");
    const dead = [path.join(bin, ".np-install-0badc0de-consul"), `${dest}.np-tmp.4242`];
    const mine = path.join(bin, `.np-install-${RUN_ID}-nomad`);
    for (const f of [...dead, mine]) await writeFile(f, "partial");
    const r = install(await stage(gzipSync(NEW)), dest, "gz", sha256(NEW));
    expect(r.status, r.stderr).toBe(0);
    for (const f of dead) expect(existsSync(f)).toBe(false);
    expect(existsSync(mine)).toBe(true);
    await rm(mine);
  });

  it("refuses a directory at the destination, and replaces a symlink instead of following it", async () => {
    const dest = path.join(bin, "a-dir");
    await mkdir(dest);
    await chmod(dest, 0o755);
    const r = install(await stage(gzipSync(NEW)), dest, "gz", sha256(NEW));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${dest} is a directory`);
    expect(await readdir(dest)).toEqual([]);
    // A symlink at the destination is replaced, never followed into the folder it points to.
    const link = path.join(bin, "linked");
    await symlink(dest, link);
    const viaLink = install(await stage(gzipSync(NEW)), link, "gz", sha256(NEW));
    expect(viaLink.status, viaLink.stderr).toBe(0);
    expect((await lstat(link)).isFile()).toBe(true);
    expect(await readdir(dest)).toEqual([]);
  });
});

describe("staging names and full-disk diagnosis", () => {
  it("staged files carry the run's id in a name np recognises", () => {
    expect(stagedPath("/usr/local/bin/consul", true)).toMatch(
      new RegExp(`^/tmp/\\.np-upload-${RUN_ID}-[0-9a-f]{8}-consul\\.gz$`),
    );
    expect(stagedPath("/etc/consul.d/consul.hcl", false)).toMatch(/-consul\.hcl$/);
  });

  it("a failed staging is a full disk when the free space is below the file's size or no inode is free", () => {
    expect(stagingRanOutOfSpace("8100\n12000\n", 19 * 1024 * 1024)).toBe(true);
    expect(stagingRanOutOfSpace("900000\n0\n", 1000)).toBe(true);
    expect(stagingRanOutOfSpace("900000\n12000\n", 19 * 1024 * 1024)).toBe(false);
    expect(stagingRanOutOfSpace("df: /tmp: No such file\n", 10)).toBe(false);
  });

  it("a full destination is named with its folder and the size it needed", () => {
    const err = installFailure(
      { host: "node4", dest: "/usr/local/bin/consul", stagedSize: 20_000_000, size: 67_974_520 },
      { code: 28, stdout: "", stderr: "gzip: stdout: No space left on device" },
      "0".repeat(64),
    );
    expect(err?.message).toBe(
      "node4: no space left in /usr/local/bin (installing 64.8 MB for /usr/local/bin/consul)",
    );
    expect(err?.hint).toContain("np removed its partial files");
  });
});
