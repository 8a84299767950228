import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { generateEd25519KeyPair } from "../../src/remote/generate-key.js";
import { runNp } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, startSandbox, type TestSandbox } from "../helpers/sandbox.js";

// This file's own sandbox (name, subnet): e2e files run in parallel, each on its own nodes and bridge.
const NAME = "nptest-chk";
const SUBNET = "10.213.23.0/24";

const skipReason = canRunSandbox();
if (skipReason) console.warn(`skipping test/e2e/check.test.ts: ${skipReason}`);

interface Inv {
  cluster: Record<string, unknown>;
  ssh: Record<string, unknown>;
  hosts: { name: string; address: string; roles: string[]; ssh?: Record<string, unknown> }[];
  [k: string]: unknown;
}

describe.skipIf(skipReason !== null)(
  "np check on sandbox nodes (real SSH, real systemd)",
  { timeout: 120_000 },
  () => {
    let sbx: TestSandbox;
    let sandboxInv: Inv;
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });

    /** Writes an inventory in its own folder (so each case has its own .np/known_hosts) and runs np check. */
    function check(inv: Inv, extra: string[] = [], dir = mkdtempSync(path.join(os.tmpdir(), "np-check-"))) {
      const file = path.join(dir, "inventory.yaml");
      writeFileSync(file, stringify(inv));
      return { dir, ...runNp(["check", "-i", file, ...extra], { timeoutMs: 120_000 }) };
    }

    /** node1-3 servers, node4 everything else: fits a 2-CPU host, leaves the small node5 out. */
    function healthyInv(): Inv {
      const inv: Inv = structuredClone(sandboxInv);
      inv.hosts = inv.hosts.filter((h) => h.name !== "node5");
      const node4 = inv.hosts.find((h) => h.name === "node4");
      if (node4) node4.roles = ["client", "edge", "observe"];
      return inv;
    }

    const acceptedLogins = (name: string) =>
      Number(
        onNode(name, [
          "sh",
          "-c",
          "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey' || true",
        ]).stdout.trim(),
      );

    beforeAll(async () => {
      runNp(["sandbox", "down", "--name", NAME]);
      sbx = await startSandbox({ name: NAME, nodes: 5, small: ["node5"], subnet: SUBNET });
      sandboxInv = parse(readFileSync(sbx.inventoryFile, "utf8")) as Inv;
    });

    afterAll(() => {
      runNp(["sandbox", "down", "--name", NAME]);
    });

    it("passes a healthy cluster with one SSH connection per host, and changes nothing on the hosts", () => {
      const marker = onNode("node1", [
        "sh",
        "-c",
        "touch /tmp/np-before && find /etc /usr/local -xdev -newer /tmp/np-before | wc -l",
      ]);
      expect(marker.stdout.trim()).toBe("0");
      const before = acceptedLogins("node2");
      const r = check(healthyInv());
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/all 4 hosts passed preflight/);
      for (const n of ["node1", "node2", "node3", "node4"])
        expect(r.stdout).toMatch(new RegExp(`^${n} .* ok$`, "m"));
      // Two more: np's one connection, plus the one that counts them.
      expect(acceptedLogins("node2") - before).toBe(2);
      expect(
        onNode("node1", [
          "sh",
          "-c",
          "find /etc /usr/local -xdev -newer /tmp/np-before | wc -l",
        ]).stdout.trim(),
      ).toBe("0");
    });

    it("refuses only the small node, with its numbers, and exits 3", () => {
      const r = check(sandboxInv);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stdout).toContain(
        `node5 (${addr("node5")}): roles client, observe need 512 MB RAM and 1.75 CPU; it has 128 MB and 1 CPU`,
      );
      expect(r.stderr).toMatch(/preflight refused 1 host: node5/);
      for (const n of ["node1", "node2", "node3", "node4"])
        expect(r.stdout).toMatch(new RegExp(`^${n} .* ok$`, "m"));
    });

    it("gives a machine-readable report with --json", () => {
      const r = check(sandboxInv, ["--json"]);
      expect(r.code).toBe(3);
      const report = JSON.parse(r.stdout) as {
        ok: boolean;
        hosts: {
          name: string;
          ok: boolean;
          facts: { cpus: number; memory: { totalMb: number } };
          problems: string[];
        }[];
      };
      expect(report.ok).toBe(false);
      const node5 = report.hosts.find((h) => h.name === "node5");
      expect(node5).toMatchObject({ ok: false, facts: { cpus: 1, memory: { totalMb: 128 } } });
      expect(report.hosts.filter((h) => !h.ok).map((h) => h.name)).toEqual(["node5"]);
    });

    it("works for a non-root user with passwordless sudo", () => {
      const inv = healthyInv();
      inv.ssh.user = "deploy";
      const r = check(inv);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });

    it("stops with a clear message when sudo needs a password", () => {
      const setup = onNode("node2", [
        "sh",
        "-c",
        "id pw >/dev/null 2>&1 || useradd -m -s /bin/sh pw; echo 'pw:secret' | chpasswd; mkdir -p ~pw/.ssh; cp /root/.ssh/authorized_keys ~pw/.ssh/; chown -R pw: ~pw/.ssh; echo 'pw ALL=(ALL) ALL' > /etc/sudoers.d/pw",
      ]);
      expect(setup.code, setup.stderr).toBe(0);
      const inv = healthyInv();
      const node2 = inv.hosts.find((h) => h.name === "node2");
      if (node2) node2.ssh = { user: "pw" };
      const r = check(inv);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain(`node2 (${addr("node2")}): user pw needs a password for sudo`);
      expect(r.stdout + r.stderr).not.toContain("secret");
    });

    it("names an unreachable host and exits 1", () => {
      const inv = healthyInv();
      // An address in this sandbox's own subnet where no node lives.
      inv.hosts.push({
        name: "ghost",
        address: SUBNET.replace(/0\/24$/, "99"),
        roles: ["client"],
        ssh: { connect_timeout: 2 },
      });
      const r = check(inv);
      expect(r.code).toBe(1);
      const ghost = SUBNET.replace(/0\/24$/, "99");
      expect(r.stdout + r.stderr).toContain(`ghost (${ghost}): unreachable: no answer from ${ghost}:22`);
      expect(r.stderr).toMatch(/cannot reach 1 host: ghost/);
    });

    it("says authentication failed for a wrong key", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "np-check-"));
      const wrong = path.join(dir, "wrong_key");
      writeFileSync(wrong, generateEd25519KeyPair().private, { mode: 0o600 });
      const inv = healthyInv();
      inv.ssh.key = wrong;
      const r = check(inv, [], dir);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        new RegExp(
          `node1 \\(${addr("node1").replaceAll(".", "\\.")}\\): authentication failed for user root with key .*wrong_key`,
        ),
      );
    });

    it("refuses a changed host key, naming the host and both fingerprints", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "np-check-"));
      mkdirSync(path.join(dir, ".np"));
      const { public: fake } = generateEd25519KeyPair();
      writeFileSync(
        path.join(dir, ".np", "known_hosts"),
        `${addr("node3")} ${fake.split(" ").slice(0, 2).join(" ")}\n`,
      );
      const r = check(healthyInv(), [], dir);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        new RegExp(
          `node3 \\(${addr("node3").replaceAll(".", "\\.")}\\): host key for ${addr("node3").replaceAll(".", "\\.")}:22 has changed: expected SHA256:\\S+, got SHA256:\\S+`,
        ),
      );
      // The other hosts were pinned on first use and pass.
      expect(r.stdout).toMatch(/^node1 .* ok$/m);
    });

    it("refuses a key marked @revoked, naming the file and line", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "np-check-"));
      mkdirSync(path.join(dir, ".np"));
      // Every key the sandbox pinned for node3 (one per type: whichever the handshake picks is revoked).
      const pinned = readFileSync(path.join(path.dirname(sbx.inventoryFile), ".np", "known_hosts"), "utf8")
        .split("\n")
        .filter((l) => l.startsWith(`${addr("node3")} `));
      expect(pinned.length).toBeGreaterThan(0);
      const pins = path.join(dir, ".np", "known_hosts");
      writeFileSync(pins, `# revoked after a leak\n${pinned.map((l) => `@revoked ${l}\n`).join("")}`);
      const r = check(healthyInv(), [], dir);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(
        new RegExp(
          `node3 \\(${addr("node3").replaceAll(".", "\\.")}\\): host key SHA256:\\S+ of ${addr("node3").replaceAll(".", "\\.")}:22 is revoked \\(@revoked in ${pins.replaceAll(".", "\\.")} line [2-9]\\)`,
        ),
      );
      expect(r.stdout).toMatch(/^node1 .* ok$/m);
    });

    it("refuses a host whose facts lie, naming the fact, and is not fooled by a forged section marker", () => {
      // node4's date prints junk (the clock is a fact np reads from a command; the CPU count comes from the
      // kernel's status file); node3's os-release carries a line that looks like the facts script's markers.
      const lie = onNode("node4", [
        "sh",
        "-c",
        "printf '#!/bin/sh\\necho x\\n' > /usr/local/bin/date && chmod 755 /usr/local/bin/date",
      ]);
      expect(lie.code, lie.stderr).toBe(0);
      const forge = onNode("node3", [
        "sh",
        "-c",
        "cp /usr/lib/os-release /root/os-release.orig && printf -- '--meminfo\\nMemTotal: 1 kB\\n--end\\n' >> /usr/lib/os-release",
      ]);
      expect(forge.code, forge.stderr).toBe(0);
      try {
        const r = check(healthyInv(), ["--json"]);
        expect(r.code, r.stdout + r.stderr).toBe(3);
        const report = JSON.parse(r.stdout) as {
          hosts: {
            name: string;
            ok: boolean;
            facts: { timeMs: number | null; memory: { totalMb: number } };
            problems: string[];
          }[];
        };
        const node4 = report.hosts.find((h) => h.name === "node4");
        expect(node4?.problems).toEqual(["could not read the clock: got 'x'"]);
        expect(node4?.facts.timeMs).toBeNull();
        const node3 = report.hosts.find((h) => h.name === "node3");
        expect(node3?.ok).toBe(true);
        expect(node3?.facts.memory.totalMb).toBeGreaterThan(512);
        const human = check(healthyInv());
        expect(human.stdout).toContain(`node4 (${addr("node4")}): could not read the clock: got 'x'`);
      } finally {
        onNode("node4", ["rm", "-f", "/usr/local/bin/date"]);
        onNode("node3", ["sh", "-c", "mv /root/os-release.orig /usr/lib/os-release"]);
      }
    });

    it("refuses a port np needs held by someone else's service, naming the process; np's own marked unit holds it freely", () => {
      // sshd stands in for any daemon: Nomad's HTTP port on node2, first from a unit np did not write, then
      // from one that carries np's marker (as every unit np writes does).
      const listen = "/usr/sbin/sshd -D -p 4646 -o PidFile=none";
      const marked = [
        "[Unit]",
        "Description=a unit np wrote, for the test",
        "X-Np-Component=nomad",
        "[Service]",
        `ExecStart=${listen}`,
      ].join("\\n");
      const waitListening =
        "for i in $(seq 50); do ss -Htln 'sport = :4646' | grep -q . && exit 0; sleep 0.1; done; exit 1";
      try {
        const foreign = onNode("node2", [
          "sh",
          "-c",
          `mkdir -p /run/sshd && systemd-run --quiet --unit=not-np-daemon ${listen} && ${waitListening}`,
        ]);
        expect(foreign.code, foreign.stderr).toBe(0);
        const refused = check(healthyInv(), ["--json"]);
        expect(refused.code, refused.stdout + refused.stderr).toBe(3);
        const hosts = (JSON.parse(refused.stdout) as { hosts: { name: string; problems: string[] }[] }).hosts;
        expect(hosts.find((h) => h.name === "node2")?.problems).toEqual([
          "port 4646/tcp is already in use by sshd; np's services need it",
        ]);
        expect(hosts.filter((h) => h.problems.length > 0).map((h) => h.name)).toEqual(["node2"]);

        const own = onNode("node2", [
          "sh",
          "-c",
          `systemctl stop not-np-daemon; printf '${marked}\\n' > /etc/systemd/system/np-test-marked.service && systemctl daemon-reload && systemctl start np-test-marked && ${waitListening}`,
        ]);
        expect(own.code, own.stderr).toBe(0);
        const passed = check(healthyInv());
        expect(passed.code, passed.stdout + passed.stderr).toBe(0);
        expect(passed.stdout).toMatch(/all 4 hosts passed preflight/);
      } finally {
        onNode("node2", [
          "sh",
          "-c",
          "systemctl stop not-np-daemon np-test-marked 2>/dev/null; rm -f /etc/systemd/system/np-test-marked.service; systemctl daemon-reload",
        ]);
      }
    });

    it("reaches the hosts through a bastion (the first node as jump host)", () => {
      const inv = healthyInv();
      const jump = inv.hosts.find((h) => h.name === "node1");
      inv.ssh.bastion = { host: jump?.address };
      const r = check(inv);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/all 4 hosts passed preflight/);
      // node2 saw the connection come from node1, not from the bridge's gateway.
      const from = onNode("node2", [
        "sh",
        "-c",
        "journalctl -u ssh -o cat --no-pager | grep 'Accepted publickey' | tail -n 2",
      ]);
      expect(from.stdout).toContain(`from ${addr("node1")} `);
    });

    it("uses an encrypted key with its passphrase from the environment, and says so when it is missing", () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "np-check-"));
      const pair = generateEd25519KeyPair({
        passphrase: "s3cret phrase",
        cipher: "aes256-ctr",
        rounds: 16,
      });
      const keyFile = path.join(dir, "encrypted_key");
      writeFileSync(keyFile, pair.private, { mode: 0o600 });
      for (const n of ["node1", "node2", "node3", "node4"]) {
        const add = onNode(n, ["sh", "-c", `echo '${pair.public}' >> /root/.ssh/authorized_keys`]);
        expect(add.code).toBe(0);
      }
      const inv = healthyInv();
      inv.ssh.key = keyFile;
      inv.ssh.passphrase_env = "NP_TEST_KEY_PASSPHRASE";
      const file = path.join(dir, "inventory.yaml");
      writeFileSync(file, stringify(inv));
      const ok = runNp(["check", "-i", file], {
        env: { NP_TEST_KEY_PASSPHRASE: "s3cret phrase" },
        timeoutMs: 120_000,
      });
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      const missing = runNp(["check", "-i", file], {
        env: { NP_TEST_KEY_PASSPHRASE: "" },
        timeoutMs: 120_000,
      });
      expect(missing.code).toBe(1);
      expect(missing.stdout + missing.stderr).toMatch(
        /encrypted_key is encrypted and no passphrase was given/,
      );
      expect(missing.stdout + missing.stderr).not.toContain("s3cret");
    });
  },
);
