import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
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

    it("boots real systemd as PID 1 on every node, and the system comes up", () => {
      for (const n of sbx.nodes) {
        expect(onNode(n.name, ["cat", "/proc/1/comm"])).toBe("systemd");
        const state = ssh(n.address, ["systemctl", "is-system-running"]).stdout.trim();
        expect(["running", "degraded"], `${n.name}: ${state}`).toContain(state);
      }
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

    it("keeps running nodes on a second up, which is fast", () => {
      const before = liveNspawnPids();
      expect(before).toHaveLength(3);
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
    });

    it("down stops every node and leaves no process, mount or bridge behind, but keeps the base root", () => {
      const r = runNp(["sandbox", "down", "--name", NAME]);
      expect(r.code, r.stderr).toBe(0);
      expect(liveNspawnPids()).toEqual([]);
      expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(STATE_DIR);
      expect(spawnSync("ip", ["link", "show", BRIDGE]).status).not.toBe(0);
      expect(existsSync(STATE_DIR)).toBe(false);
      expect(existsSync(path.join(baseRootDir(), "etc/os-release"))).toBe(true);
    });
  },
);
