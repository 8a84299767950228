import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { nodeCgroupDirs } from "../../src/sandbox/cgroups.js";
import { baseRootDir } from "../../src/sandbox/paths.js";
import { runNp } from "../helpers/run-np.js";
import { canRunSandbox, npSandbox, sshToNode, startSandbox, type TestSandbox } from "../helpers/sandbox.js";

// This file's own sandbox: other e2e files use other names and subnets.
const NAME = "nptest-sbx";
const SUBNET = "10.213.9.0/24";
const BRIDGE = `np-${NAME}`;
const STATE_DIR = `/var/lib/np/sandbox/${NAME}`;

const skipReason = canRunSandbox();
if (skipReason) console.warn(`skipping test/e2e/sandbox.test.ts: ${skipReason}`);

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/**
 * Every process of this sandbox in the host's process table, zombies included: its nspawns (by their argv, which
 * names the machines) and everything in its nodes' cgroups.
 */
function sandboxProcesses(): { pid: number; state: string; what: string }[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      const argv = readOr(`/proc/${pid}/cmdline`, "").split("\0").join(" ");
      const cgroups = readOr(`/proc/${pid}/cgroup`, "");
      const state = /^State:\s+(\S)/m.exec(readOr(`/proc/${pid}/status`, ""))?.[1] ?? "?";
      if (argv.includes(`--machine ${NAME}-node`) || cgroups.includes(`/np-sandbox/${NAME}-node`))
        return [{ pid: Number(pid), state, what: argv || readOr(`/proc/${pid}/comm`, "").trim() }];
      return [];
    });
}

/** The container's init of a node, as the host sees it (PID 1 of the node's PID namespace). */
function initPid(machine: string): number {
  const pid = readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .find((p) => {
      const nspid = /^NSpid:\s+(.*)$/m.exec(readOr(`/proc/${p}/status`, ""))?.[1]?.split(/\s+/) ?? [];
      return (
        nspid.length > 1 && nspid.at(-1) === "1" && readOr(`/proc/${p}/cgroup`, "").includes(`/${machine}/`)
      );
    });
  return Number(pid);
}

/** PIDs of live (not zombie) systemd-nspawn processes booting a root of this sandbox, read from /proc. */
function liveNspawnPids(): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      const argv = readOr(`/proc/${pid}/cmdline`, "").split("\0");
      const zombie = /^State:\s+Z/m.test(readOr(`/proc/${pid}/status`, ""));
      return (
        !zombie && argv[0]?.endsWith("systemd-nspawn") && argv.some((a) => a.startsWith(`${STATE_DIR}/`))
      );
    })
    .map(Number)
    .sort((a, b) => a - b);
}

// `up` and `down` can take tens of seconds on a loaded machine (a container that does not power off is killed
// after 15 s): longer than a unit test's default timeout.
describe.skipIf(skipReason !== null)(
  "np sandbox on real nodes (systemd-nspawn)",
  { timeout: 120_000 },
  () => {
    let sbx: TestSandbox;
    const ssh = (address: string, argv: string[], user = "root") =>
      sshToNode(address, argv, { keyFile: sbx.keyFile, user });
    const node = (name: string) =>
      sbx.nodes.find((n) => n.name === name) as { name: string; address: string };
    const onNode = (name: string, argv: string[]) => {
      const r = ssh(node(name).address, argv);
      expect(r.code, `${name}: ${argv.join(" ")}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };

    beforeAll(async () => {
      runNp(["sandbox", "down", "--name", NAME]); // leftovers of an interrupted run
      sbx = await startSandbox({ name: NAME, nodes: 3, small: ["node3"], subnet: SUBNET });
    });

    afterAll(() => {
      // Even when a test failed: leave nothing running.
      runNp(["sandbox", "down", "--name", NAME]);
    });

    it("prints a line per node as it becomes ready, then the inventory's path", () => {
      for (const n of ["node1", "node2", "node3"])
        expect(sbx.upOutput).toMatch(new RegExp(`^${n}: ready`, "m"));
      expect(sbx.upOutput).toContain(`inventory written to ${sbx.inventoryFile}`);
    });

    it("gives every node its own name and address on the bridge, reachable over ssh as root", () => {
      expect(sbx.nodes.map((n) => [n.name, n.address])).toEqual([
        ["node1", "10.213.9.11"],
        ["node2", "10.213.9.12"],
        ["node3", "10.213.9.13"],
      ]);
      for (const n of sbx.nodes) {
        expect(onNode(n.name, ["hostname"])).toBe(n.name);
        expect(onNode(n.name, ["ip", "-4", "-o", "addr", "show", "dev", "host0"])).toContain(
          `inet ${n.address}/24`,
        );
      }
    });

    it("gives every node a machine-id and SSH host key of its own", () => {
      const ids = sbx.nodes.map((n) => onNode(n.name, ["cat", "/etc/machine-id"]));
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(new Set(ids).size).toBe(3);
      // The host keys as a client sees them, not as np reports them.
      const keys = sbx.nodes.map((n) => {
        const r = spawnSync("ssh-keyscan", ["-t", "ed25519", n.address], {
          encoding: "utf8",
          timeout: 20_000,
        });
        const key = r.stdout.trim().split(/\s+/)[2];
        expect(key, `ssh-keyscan ${n.address}: ${r.stderr}`).toBeTruthy();
        return key;
      });
      expect(new Set(keys).size).toBe(3);
      // Pinned for np beside the inventory, so a recreated sandbox is not refused as "host key changed".
      const pins = readFileSync(path.join(path.dirname(sbx.inventoryFile), ".np/known_hosts"), "utf8");
      sbx.nodes.forEach((n, i) => {
        expect(pins).toContain(`${n.address} ssh-ed25519 ${keys[i]}\n`);
      });
    });

    it("boots real systemd as PID 1 on every node, and the system comes up with no failed unit", () => {
      expect(sbx.upOutput).not.toMatch(/degraded|warning/);
      for (const n of sbx.nodes) {
        expect(onNode(n.name, ["cat", "/proc/1/comm"])).toBe("systemd");
        const failed = ssh(n.address, ["systemctl", "--failed", "--no-legend", "--plain"]).stdout.trim();
        expect(failed, `${n.name}: failed units`).toBe("");
        const state = ssh(n.address, ["systemctl", "is-system-running"]).stdout.trim();
        expect(state, n.name).toBe("running");
      }
    });

    it("gives every node cgroups of its own, so no two nodes' systemd manage the same unit cgroups", () => {
      // Sharing them made nodes booted together fail early units ("Failed at step CGROUP", degraded).
      const paths = sbx.nodes.map((n) => {
        const pid = initPid(`${NAME}-${n.name}`);
        expect(pid, `${n.name}: init found on the host`).toBeGreaterThan(1);
        const cgroup = readOr(`/proc/${pid}/cgroup`, "");
        expect(cgroup).toMatch(new RegExp(`^0::/np-sandbox/${NAME}-${n.name}/payload/init\\.scope$`, "m"));
        return cgroup;
      });
      expect(new Set(paths).size).toBe(sbx.nodes.length);
    });

    it("passes np check on the fresh nodes with no warning (node3 is small, so it is refused)", () => {
      const r = runNp(["check", "-i", sbx.inventoryFile, "--json"], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(3);
      const report = JSON.parse(r.stdout) as {
        hosts: { name: string; ok: boolean; warnings: string[]; problems: string[] }[];
      };
      expect(report.hosts.map((h) => [h.name, h.ok])).toEqual([
        ["node1", true],
        ["node2", true],
        ["node3", false],
      ]);
      for (const h of report.hosts) expect(h.warnings, h.name).toEqual([]);
    });

    it("makes only the small node report 1 CPU and 128 MB of RAM", () => {
      expect(onNode("node3", ["nproc"])).toBe("1");
      expect(onNode("node3", ["grep", "^MemTotal:", "/proc/meminfo"])).toMatch(/^MemTotal:\s+131072 kB$/);
      expect(onNode("node3", ["grep", "-c", "^MemAvailable:", "/proc/meminfo"])).toBe("1");
      for (const n of ["node1", "node2"]) {
        expect(onNode(n, ["nproc"])).not.toBe("1");
        expect(onNode(n, ["grep", "^MemTotal:", "/proc/meminfo"])).not.toMatch(/\b131072 kB/);
      }
    });

    it("has a user deploy on every node that logs in with the key and sudoes without a password", () => {
      for (const n of sbx.nodes) {
        const r = ssh(n.address, ["sudo", "-n", "id", "-u"], "deploy");
        expect(r.code, `${n.name}: ${r.stderr}`).toBe(0);
        expect(r.stdout.trim()).toBe("0");
        expect(r.stderr).not.toContain("unable to resolve host");
      }
    });

    it("writes an inventory with the documented role layout and the sandbox key", () => {
      const text = readFileSync(sbx.inventoryFile, "utf8");
      expect(text).toMatch(/^# .*node1\s+server, client, edge/m);
      const inv = parse(text);
      expect(inv.cluster).toEqual({ name: "sandbox", datacenter: "dc1", region: "global" });
      expect(inv.ssh).toEqual({ user: "root", port: 22, key: sbx.keyFile });
      expect(inv.hosts).toEqual([
        { name: "node1", address: "10.213.9.11", roles: ["server", "client", "edge"] },
        { name: "node2", address: "10.213.9.12", roles: ["server", "client"] },
        { name: "node3", address: "10.213.9.13", roles: ["server", "observe"] },
      ]);
      expect(statSync(sbx.keyFile).mode & 0o777).toBe(0o600);
      const validate = runNp(["validate", "-i", sbx.inventoryFile]);
      expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    });

    it("lists the nodes, addresses, roles and running state in status", () => {
      const r = runNp(["sandbox", "status", "--name", NAME]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^node1\s+10\.213\.9\.11\s+server,client,edge\s+running/m);
      expect(r.stdout).toMatch(/^node3\s+10\.213\.9\.13\s+server,observe \(small\)\s+running/m);
      const json = JSON.parse(runNp(["sandbox", "status", "--name", NAME, "--json"]).stdout);
      expect(json.nodes.map((n: { running: boolean }) => n.running)).toEqual([true, true, true]);
    });

    it("keeps running nodes on a second up, which is fast, and the sections a user added to the inventory", () => {
      const before = liveNspawnPids();
      expect(before).toHaveLength(3);
      appendFileSync(sbx.inventoryFile, "# pinned by hand\nversions:\n  consul: 1.8.7\n");
      const started = Date.now();
      const up = npSandbox([
        "up",
        "--name",
        NAME,
        "--subnet",
        SUBNET,
        "--nodes",
        "3",
        "--small",
        "node3",
        "--out",
        sbx.inventoryFile,
      ]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(up.stdout).toMatch(/^node1: already running/m);
      expect(liveNspawnPids()).toEqual(before);
      expect(onNode("node3", ["nproc"])).toBe("1");
      expect(up.stdout).toContain(`inventory written to ${sbx.inventoryFile} (kept its versions section)`);
      const text = readFileSync(sbx.inventoryFile, "utf8");
      expect(text).toContain("# pinned by hand\nversions:\n  consul: 1.8.7\n");
      expect(parse(text).hosts).toHaveLength(3);
    });

    it("revives nodes that run but do not answer: one with its network down, one with sshd stopped and masked", () => {
      // Broken from inside, as a user (or a test) would, a second after ssh has returned (stopping sshd ends the
      // session that stops it).
      const later = (command: string) => ["sh", "-c", `(sleep 1; ${command}) >/dev/null 2>&1 &`];
      onNode("node1", later("ip link set host0 down"));
      onNode("node2", later("systemctl mask --now ssh.service"));
      const answers = (name: string) =>
        sshToNode(node(name).address, ["true"], { keyFile: sbx.keyFile, timeoutMs: 15_000 }).code === 0;
      const deadline = Date.now() + 20_000;
      while ((answers("node1") || answers("node2")) && Date.now() < deadline) spawnSync("sleep", ["1"]);
      expect(answers("node1"), "node1 still answers").toBe(false);
      expect(answers("node2"), "node2 still answers").toBe(false);
      const before = liveNspawnPids();

      const started = Date.now();
      const up = npSandbox(
        ["up", "--name", NAME, "--subnet", SUBNET, "--small", "node3", "--out", sbx.inventoryFile],
        120_000,
      );
      console.log(`np sandbox up on two hung nodes (${Date.now() - started} ms):\n${up.stdout}${up.stderr}`);
      for (const n of ["node1", "node2"]) {
        expect(up.stdout).toMatch(
          new RegExp(
            `^${n}: running, but sshd at ${node(n).address.replace(/\./g, "\\.")}:22 did not answer within 10s \\(.+\\): restarting the node$`,
            "m",
          ),
        );
        expect(up.stdout).toMatch(new RegExp(`^${n}: (powered off|did not power off in time: killed)$`, "m"));
        expect(up.stdout).toMatch(new RegExp(`^${n}: ready: sshd answers`, "m"));
        expect(onNode(n, ["hostname"])).toBe(n);
      }
      expect(up.stdout).toMatch(/^node3: already running/m);
      expect(onNode("node2", ["systemctl", "is-enabled", "ssh.service"])).toBe("enabled");
      const after = liveNspawnPids();
      expect(after).toHaveLength(3);
      expect(after.filter((p) => before.includes(p))).toHaveLength(1);
    });

    it("brings small nodes back to full size on an up without --small", () => {
      const up = npSandbox(["up", "--name", NAME, "--out", sbx.inventoryFile], 120_000);
      expect(up.stdout).toMatch(/^node3: settings changed: restarting$/m);
      expect(up.stdout).toMatch(/^node1: already running/m);
      expect(onNode("node3", ["nproc"])).not.toBe("1");
      expect(onNode("node3", ["grep", "^MemTotal:", "/proc/meminfo"])).not.toMatch(/\b131072 kB/);
      expect(readFileSync(sbx.inventoryFile, "utf8")).not.toContain("Small nodes");
    });

    it("down returns once every process of the nodes is gone, and leaves no mount, cgroup or bridge behind", async () => {
      const before = sandboxProcesses();
      expect(before.filter((p) => p.what.includes("systemd-nspawn"))).toHaveLength(3);
      const r = runNp(["sandbox", "down", "--name", NAME]);
      expect(r.code, r.stderr).toBe(0);
      // Right after down returns: not even a zombie (exited, not yet reaped by the host's PID 1) is left.
      expect(sandboxProcesses()).toEqual([]);
      const zombies = before.filter((p) => /^State:\s+[ZX]/m.test(readOr(`/proc/${p.pid}/status`, "")));
      expect(zombies).toEqual([]);
      expect(liveNspawnPids()).toEqual([]);
      for (const n of sbx.nodes)
        for (const dir of await nodeCgroupDirs(`${NAME}-${n.name}`))
          expect(existsSync(dir), `cgroup ${dir}`).toBe(false);
      expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(STATE_DIR);
      expect(spawnSync("ip", ["link", "show", BRIDGE]).status).not.toBe(0);
      expect(existsSync(STATE_DIR)).toBe(false);
      expect(existsSync(path.join(baseRootDir(), "etc/os-release"))).toBe(true);
    });
  },
);
