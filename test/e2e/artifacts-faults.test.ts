import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { npBin, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, opensshOptions, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";
import { REAL_CONSUL } from "../tools/build-mirror.ts";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-art";
const SUBNET = "10.213.21.0/24";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/artifacts-faults.test.ts: ${skipReason}`);

const CONSUL_BIN = "/usr/local/bin/consul";
const EVIL = "#!/bin/sh\necho pwned\n";
const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest("hex");

describe.skipIf(skipReason !== null)(
  "faults around artifacts on sandbox nodes: a tampered cache, full disks, a killed upload",
  { timeout: 300_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-art-"));
    const invFile = path.join(work, "inventory.yaml");
    const cacheDir = path.join(work, "cache");
    const env = { NP_CACHE_DIR: cacheDir };
    const consulDir = path.join(cacheDir, "consul", "1.8.7");
    const cached = {
      archive: path.join(consulDir, "consul_1.8.7_linux_amd64.zip"),
      checksums: path.join(consulDir, "consul_1.8.7_SHA256SUMS"),
      signature: path.join(consulDir, "consul_1.8.7_SHA256SUMS.sig"),
      binary: path.join(consulDir, "consul_1.8.7_linux_amd64", "consul"),
      record: path.join(consulDir, "consul_1.8.7_linux_amd64", "consul.extracted.json"),
      gzip: path.join(consulDir, "consul_1.8.7_linux_amd64", "consul.gz"),
    };
    const genuine = sha256(readFileSync(REAL_CONSUL));
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const sh = (name: string, script: string) => {
      const r = sshToNode(addr(name), ["sh", "-c", script], { keyFile: sbx.keyFile });
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    // Async: the artifact mirror is served from this process, so np must not block its event loop.
    const np = (args: string[]) => runNpAsync([...args, "-i", invFile], { env, timeoutMs: 600_000 });
    /** np's files left on node2: staged uploads in /tmp, unpacked files beside the binaries. */
    const leftovers = () =>
      sh("node2", "ls -A /tmp /usr/local/bin | grep -e '^\\.np-upload-' -e '^\\.np-install-' || true");
    /** np up must install consul on node2 again (the running agent keeps its inode). */
    const dropConsulOnNode2 = () => sh("node2", `rm -f ${CONSUL_BIN}`);
    const consulOnNode2 = () => sh("node2", `sha256sum ${CONSUL_BIN} | cut -d' ' -f1`);
    const show = (title: string, text: string) =>
      console.log(
        `--- ${title}\n${text
          .split("\n")
          .filter((l) => /warning:|error:|hint:|node2|^ {3}/.test(l))
          .join("\n")}`,
      );

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: 3, subnet: SUBNET }, work);
      sbx = site.sbx;
      const inventory = {
        cluster: { name: "art", single_server: true },
        ...site.reach,
        hosts: [
          { name: "node1", address: addr("node1"), roles: ["server", "client", "edge"] },
          { name: "node2", address: addr("node2"), roles: ["client", "observe"] },
        ],
      };
      writeFileSync(invFile, stringify(inventory));
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("np up installs the verified binaries and leaves nothing staged behind", async () => {
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(consulOnNode2()).toBe(genuine);
      expect(sh("node2", `stat -c '%a %U:%G' ${CONSUL_BIN}`)).toBe("755 root:root");
      expect(leftovers()).toBe("");
    });

    const tampering: { file: keyof typeof cached; tamper: () => void; warning: string }[] = [
      {
        file: "archive",
        tamper: () => writeFileSync(cached.archive, "garbage"),
        warning: `warning: local cache at ${cached.archive} is corrupt: re-fetching it`,
      },
      {
        file: "checksums",
        tamper: () => writeFileSync(cached.checksums, `${"0".repeat(64)}  consul_1.8.7_linux_amd64.zip\n`),
        warning: `warning: local cache at ${cached.checksums} (with ${cached.signature}) is corrupt or signed by a key not trusted now: re-fetching it`,
      },
      {
        file: "signature",
        tamper: () => writeFileSync(cached.signature, "not a signature"),
        warning: `warning: local cache at ${cached.checksums} (with ${cached.signature}) is corrupt or signed by a key not trusted now: re-fetching it`,
      },
      {
        file: "binary",
        tamper: () => writeFileSync(cached.binary, EVIL, { mode: 0o755 }),
        warning: `warning: local cache at ${cached.binary} is corrupt: rebuilding it from the verified archive`,
      },
      {
        file: "record",
        tamper: () => {
          const record = JSON.parse(readFileSync(cached.record, "utf8")) as { binary: { sha256: string } };
          record.binary.sha256 = sha256(EVIL);
          writeFileSync(cached.record, JSON.stringify(record));
        },
        warning: `warning: local cache at ${cached.record} is corrupt: rebuilding it from the verified archive`,
      },
      {
        file: "gzip",
        tamper: () => writeFileSync(cached.gzip, gzipSync(EVIL)),
        warning: `warning: local cache at ${cached.gzip} is corrupt: rebuilding it from the verified archive`,
      },
    ];
    for (const t of tampering) {
      it(`a tampered cached ${t.file} is named and healed; node2 gets only the verified consul`, async () => {
        dropConsulOnNode2();
        t.tamper();
        const r = await np(["up"]);
        show(`tampered ${t.file}`, r.stderr);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stderr).toContain(t.warning);
        expect(consulOnNode2()).toBe(genuine);
        expect(sha256(readFileSync(cached.binary))).toBe(genuine);
        expect(leftovers()).toBe("");
      });
    }

    /**
     * Fills `mount` on node2 while np uploads to it, after preflight has passed: a watcher waits for np's staged
     * file in /tmp, freezes the SFTP server writing it, fills the folder's filesystem (fallocate, leaving 64 kB),
     * and lets the SFTP server go on. Resolves once the disk is full.
     */
    const fillDuringUpload = (mount: string) => {
      const watcher = spawn("ssh", [
        ...opensshOptions(sbx.keyFile),
        `root@${addr("node2")}`,
        "--",
        `while :; do set -- /tmp/.np-upload-*; [ -e "$1" ] && break; done
         pid=$(grep -lzxE '(.*/)?sftp-serve[r]' /proc/[0-9]*/cmdline | head -1 | cut -d/ -f3)
         kill -STOP "$pid"
         fallocate -l $(( $(df -k --output=avail ${mount} | tail -1) - 64 ))k ${mount}/.np-test-fill
         kill -CONT "$pid"; echo filled`,
      ]);
      return new Promise<void>((resolve, reject) => {
        let out = "";
        watcher.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("filled")) resolve();
        });
        setTimeout(() => reject(new Error(`node2: ${mount} was not filled within 120 s: ${out}`)), 120_000);
      }).finally(() => watcher.kill());
    };

    it("preflight refuses a host whose /tmp cannot hold what np stages, naming it (exit 3, nothing changed)", async () => {
      dropConsulOnNode2();
      sh("node2", "mount -t tmpfs -o size=8m tmpfs /tmp");
      try {
        const r = await np(["up"]);
        expect(r.code, r.stdout + r.stderr).toBe(3);
        expect(r.stdout + r.stderr).toMatch(/node2 \(.*\): only \d+ MB free in \/tmp/);
        expect(sh("node2", `test -e ${CONSUL_BIN} && echo present || echo absent`)).toBe("absent");
      } finally {
        sh("node2", "umount /tmp");
      }
    });

    it("a /tmp that fills up during the upload is named with the size np stages; no partial file is left", async () => {
      dropConsulOnNode2();
      sh("node2", "mount -t tmpfs -o size=600m tmpfs /tmp");
      try {
        const [r] = await Promise.all([np(["up"]), fillDuringUpload("/tmp")]);
        show("full /tmp", r.stderr);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          /node2: no space left in \/tmp \(staging \d+\.\d MB for \/usr\/local\/bin\/consul\)/,
        );
        expect(r.stderr).toContain("free space in /tmp on node2");
        sh("node2", "rm -f /tmp/.np-test-fill");
        expect(leftovers()).toBe("");
        expect(sh("node2", "df -k --output=used /tmp | tail -1").trim()).toBe("0");
        expect(sh("node2", `test -e ${CONSUL_BIN} && echo present || echo absent`)).toBe("absent");
      } finally {
        sh("node2", "umount /tmp");
      }
    });

    it("a /usr/local/bin that fills up is named with the size np unpacks; no partial or staged file is left", async () => {
      dropConsulOnNode2();
      sh("node2", "mount -t tmpfs -o size=1100m tmpfs /usr/local/bin");
      try {
        const [r] = await Promise.all([np(["up"]), fillDuringUpload("/usr/local/bin")]);
        show("full /usr/local/bin", r.stderr);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          /node2: no space left in \/usr\/local\/bin \(installing 64\.8 MB for \/usr\/local\/bin\/consul\)/,
        );
        sh("node2", "rm -f /usr/local/bin/.np-test-fill");
        expect(leftovers()).toBe("");
        expect(sh("node2", "df -k --output=used /usr/local/bin | tail -1").trim()).toBe("0");
      } finally {
        sh("node2", "umount /usr/local/bin");
      }
    });

    it("a SIGKILLed upload leaves a private staged file that the next run removes, then installs", async () => {
      dropConsulOnNode2();
      // On node2: wait for np's staged file, then freeze the SFTP server writing it, so the upload is caught
      // half-way whatever the speed of this machine; print the file, its mode and owner, and the server's pid.
      const watcher = spawn("ssh", [
        ...opensshOptions(sbx.keyFile),
        `root@${addr("node2")}`,
        "--",
        `while :; do set -- /tmp/.np-upload-*; [ -e "$1" ] && break; done
         pid=$(grep -lzxE '(.*/)?sftp-serve[r]' /proc/[0-9]*/cmdline | head -1 | cut -d/ -f3)
         kill -STOP "$pid"; echo "$1 $(stat -c '%a %U' "$1") $pid"`,
      ]);
      const seen = new Promise<string>((resolve, reject) => {
        let out = "";
        watcher.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.endsWith("\n")) resolve(out.trim());
        });
        setTimeout(() => reject(new Error(`no staged upload seen on node2 within 120 s: ${out}`)), 120_000);
      });
      const child: ChildProcess = spawn(process.execPath, [npBin, "up", "-i", invFile], {
        env: { ...process.env, ...env, NO_COLOR: "1" },
        stdio: "ignore",
      });
      const [staged, mode, owner, pid] = await seen
        .finally(() => child.kill("SIGKILL"))
        .then((l) => l.split(" "));
      await new Promise((resolve) => child.once("exit", resolve));
      watcher.kill();
      sh("node2", `kill -KILL ${pid} 2>/dev/null || true`);
      expect(staged).toMatch(/^\/tmp\/\.np-upload-[0-9a-f]{8}-[0-9a-f]{8}-consul\.gz$/);
      expect([mode, owner]).toEqual(["600", "root"]);
      expect(sh("node2", `test -f ${staged} && echo left`)).toBe("left");

      const r = await np(["up"]);
      show("after SIGKILL", r.stdout + r.stderr);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`node2: removed the file an interrupted np run left in /tmp: ${staged}`);
      expect(leftovers()).toBe("");
      expect(consulOnNode2()).toBe(genuine);
    });
  },
);
