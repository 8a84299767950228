import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { installNodeRuntime } from "../helpers/node-runtime.js";
import { npBin, runNp, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, startSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { buildMirror, NOMAD_DOUBLE, REAL_CONSUL } from "../tools/build-mirror.ts";
import { type ServedMirror, serveMirror } from "../tools/mirror-server.ts";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-up";
const SUBNET = "10.213.11.0/24";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/up.test.ts: ${skipReason}`);

interface Inv {
  hosts: { name: string; address: string; roles: string[]; meta?: Record<string, string> }[];
  [k: string]: unknown;
}

const MANAGED = [
  "/usr/local/bin/consul",
  "/usr/local/bin/nomad",
  "/etc/consul.d/consul.hcl",
  "/etc/nomad.d/nomad.hcl",
  "/etc/systemd/system/consul.service",
  "/etc/systemd/system/nomad.service",
];

describe.skipIf(skipReason !== null)(
  "np up / plan / status on sandbox nodes (real Consul, Nomad double)",
  // Every np up waits for elections and health gates: far longer than a unit test's default timeout.
  { timeout: 300_000 },
  () => {
    let sbx: TestSandbox;
    let mirror: ServedMirror;
    let keyPath: string;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-up-"));
    const invFile = path.join(work, "inventory.yaml");
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });
    const sh = (name: string, script: string) => {
      const r = onNode(name, ["sh", "-c", script]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    // Async: the artifact mirror is served from this process, so np must not block its event loop.
    const np = (args: string[], file = invFile) => runNpAsync([...args, "-i", file], { timeoutMs: 600_000 });
    const inventory = (hosts: Inv["hosts"], artifacts: Record<string, unknown>) => ({
      cluster: { name: "e2e", datacenter: "dc1" },
      ssh: { user: "root", key: sbx.keyFile },
      versions: { consul: "1.8.7", nomad: "1.10.5" },
      artifacts,
      hosts,
    });
    const writeInv = (inv: object, file = invFile) => writeFileSync(file, stringify(inv));
    const readInv = () => parse(readFileSync(invFile, "utf8")) as Inv;
    /** mtimes of np's files and the MainPIDs of its services: a no-op run must leave them all as they were. */
    const fingerprint = (name: string) =>
      sh(
        name,
        `stat -c '%n %Y' ${MANAGED.join(" ")}; systemctl show -p MainPID --value consul.service nomad.service`,
      );
    const five = ["node1", "node2", "node3", "node4", "node5"];

    beforeAll(async () => {
      runNp(["sandbox", "down", "--name", NAME]);
      sbx = await startSandbox({ name: NAME, nodes: 6, subnet: SUBNET });
      for (const n of sbx.nodes) installNodeRuntime(n.address, sbx.keyFile);
      const built = await buildMirror(path.join(work, "mirror"), {
        consulBinary: REAL_CONSUL,
        nomadDouble: NOMAD_DOUBLE,
      });
      keyPath = built.keyPath;
      mirror = await serveMirror(built.dir);
      writeInv(
        inventory(
          [
            { name: "node1", address: addr("node1"), roles: ["server"] },
            { name: "node2", address: addr("node2"), roles: ["server"] },
            { name: "node3", address: addr("node3"), roles: ["server"] },
            { name: "node4", address: addr("node4"), roles: ["client", "edge"] },
            { name: "node5", address: addr("node5"), roles: ["client", "observe"] },
          ],
          { source: "mirror", url: mirror.url, trusted_keys: [keyPath] },
        ),
      );
    }, 900_000);

    afterAll(async () => {
      await mirror?.close();
      runNp(["sandbox", "down", "--name", NAME]);
    });

    it("np plan on bare hosts lists every install and changes nothing", async () => {
      const r = await np(["plan", "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const { changes } = JSON.parse(r.stdout) as {
        changes: { host: string; kind: string; target: string }[];
      };
      for (const n of five) {
        expect(changes).toContainEqual(
          expect.objectContaining({ host: n, kind: "binary", target: "/usr/local/bin/consul" }),
        );
        expect(changes).toContainEqual(
          expect.objectContaining({ host: n, kind: "start", target: "consul.service" }),
        );
      }
      expect(changes).toContainEqual(
        expect.objectContaining({ host: "node1", kind: "file", target: "/etc/nomad.d/nomad.hcl" }),
      );
      for (const n of five)
        expect(sh(n, "ls /usr/local/bin; ls /etc/consul.d 2>/dev/null | wc -l")).toBe("node\n0");
    });

    it("np up forms a real 3-server Consul quorum and the Nomad servers' quorum", async () => {
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const peers = sh("node1", "consul operator raft list-peers -http-addr=127.0.0.1:8500");
      const rows = peers.split("\n").slice(1);
      expect(rows).toHaveLength(3);
      expect(rows.filter((l) => /\sleader\s+true\s/.test(l))).toHaveLength(1);
      expect(rows.filter((l) => /\s(leader|follower)\s+true\s/.test(l))).toHaveLength(3);
      const members = sh("node2", "consul members -http-addr=127.0.0.1:8500");
      for (const n of five) expect(members).toMatch(new RegExp(`^${n}\\s+\\S+\\s+alive`, "m"));
      const health = sh(
        "node1",
        `curl -s -w ' %{http_code}' http://${addr("node1")}:4646/v1/operator/autopilot/health`,
      );
      expect(health).toMatch(/ 200$/);
      expect(JSON.parse(health.replace(/ 200$/, ""))).toMatchObject({ Healthy: true, FailureTolerance: 1 });
      const nodes = JSON.parse(sh("node2", `curl -s http://${addr("node2")}:4646/v1/nodes`)) as {
        Name: string;
        Status: string;
      }[];
      expect(nodes.map((n) => [n.Name, n.Status]).sort()).toEqual([
        ["node4", "ready"],
        ["node5", "ready"],
      ]);
      expect(sh("node4", "stat -c '%a %U:%G' /etc/consul.d/consul.hcl /etc/nomad.d/nomad.hcl")).toBe(
        "640 root:consul\n600 root:root",
      );
    });

    it("np status reports a healthy cluster with failure tolerance 1", async () => {
      const r = await np(["status"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Consul: leader \S+, 3 voters, failure tolerance 1, healthy$/m);
      expect(r.stdout).toMatch(/^Nomad: leader \S+, 3 voters, failure tolerance 1, healthy$/m);
      expect(r.stdout).toMatch(/^node4\s+client,edge\s+alive 1\.8\.7\s+ready 1\.10\.5$/m);
      const json = JSON.parse((await np(["status", "--json"])).stdout) as {
        healthy: boolean;
        consul: { failureTolerance: number };
      };
      expect(json).toMatchObject({ healthy: true, consul: { failureTolerance: 1 } });
    });

    it("a second np up changes nothing: same file mtimes, same service PIDs", async () => {
      const before = five.map(fingerprint);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/is up to date: nothing changed/);
      expect(five.map(fingerprint)).toEqual(before);
    });

    it("np plan on the converged cluster shows no changes", async () => {
      const r = await np(["plan"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^no changes/m);
      expect(JSON.parse((await np(["plan", "--json"])).stdout)).toEqual({ changes: [] });
    });

    it("refuses a tampered artifact before installing anything", async () => {
      const dir = path.join(work, "tampered");
      const built = await buildMirror(dir, {
        consulBinary: REAL_CONSUL,
        nomadDouble: NOMAD_DOUBLE,
        versions: { nomad: "1.10.6" },
      });
      appendFileSync(path.join(dir, "nomad", "1.10.6", "nomad_1.10.6_linux_amd64.zip"), "tampered");
      const inv = { ...readInv(), versions: { consul: "1.8.7", nomad: "1.10.6" } };
      const file = path.join(work, "tampered.yaml");
      writeInv({ ...inv, artifacts: { source: "dir", dir: built.dir, trusted_keys: [built.keyPath] } }, file);
      const before = five.map(fingerprint);
      const r = await np(["up"], file);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /nomad_1\.10\.6_linux_amd64\.zip: sha256 is [0-9a-f]{8,}.* but nomad_1\.10\.6_SHA256SUMS says [0-9a-f]{8,}/,
      );
      expect(five.map(fingerprint)).toEqual(before);
    });

    it("np status says degraded (exit 1, tolerance 0) with a server down, and healthy once it is back", async () => {
      onNode("node3", ["systemctl", "poweroff"]);
      // SSH to node3 fails at once; Consul and Nomad need a few seconds to see the server as failed.
      let r = await np(["status"]);
      for (let i = 0; i < 30 && !/failure tolerance is 0/.test(r.stderr); i++) {
        await new Promise((res) => setTimeout(res, 1000));
        r = await np(["status"]);
      }
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/is degraded/);
      expect(r.stderr).toMatch(/failure tolerance is 0/);
      expect(r.stderr).toMatch(/node3/);
      // `np sandbox up` boots the stopped node again; consul and nomad are enabled, so they start at boot.
      expect(
        runNp([
          "sandbox",
          "up",
          "--name",
          NAME,
          "--subnet",
          SUBNET,
          "--nodes",
          "6",
          "--out",
          path.join(work, "sbx.yaml"),
        ]).code,
      ).toBe(0);
      for (let i = 0; i < 90; i++) {
        r = await np(["status"]);
        if (r.code === 0) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Consul: leader \S+, 3 voters, failure tolerance 1, healthy$/m);
    }, 240_000);

    it("a host added to the inventory joins on the next np up; the others are untouched", async () => {
      const before = five.map(fingerprint);
      const inv = readInv();
      inv.hosts.push({ name: "node6", address: addr("node6"), roles: ["client"] });
      writeInv(inv);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/^node[1-5]:/m);
      expect(five.map(fingerprint)).toEqual(before);
      expect(sh("node1", "consul members -http-addr=127.0.0.1:8500")).toMatch(/^node6\s+\S+\s+alive/m);
      const nodes = JSON.parse(sh("node1", `curl -s http://${addr("node1")}:4646/v1/nodes`)) as {
        Name: string;
        Status: string;
      }[];
      expect(nodes.find((n) => n.Name === "node6")?.Status).toBe("ready");
    });

    it("an interrupted np up is finished by the next one", async () => {
      const pidBefore = sh("node4", "systemctl show -p MainPID --value nomad.service");
      const inv = readInv();
      const node4 = inv.hosts.find((h) => h.name === "node4");
      if (node4) node4.meta = { rack: "r7" };
      writeInv(inv);
      // np plan shows the change with a short diff, and only on node4.
      const plan = await np(["plan"]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/^node4:\n\s+file\s+\/etc\/nomad\.d\/nomad\.hcl: update$/m);
      expect(plan.stdout).toMatch(/^\s+\+ .*r7/m);
      expect(plan.stdout).toMatch(/restart nomad/);
      expect(plan.stdout).not.toMatch(/^node[1235]:/m);
      // Interrupt np right after it announced the config change on node4.
      const child: ChildProcess = spawn(process.execPath, [npBin, "up", "-i", invFile], {
        env: { ...process.env, NO_COLOR: "1" },
      });
      let out = "";
      let err = "";
      child.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
      });
      const code = await new Promise<number | null>((resolve) => {
        child.stdout?.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("/etc/nomad.d/nomad.hcl")) child.kill("SIGINT");
        });
        child.on("exit", (c) => resolve(c));
      });
      expect(out).toContain("/etc/nomad.d/nomad.hcl");
      expect(code).toBe(1);
      expect(err).toMatch(/interrupted: remote commands were stopped and connections closed/);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The interrupted run's lock (its process is gone) is taken over, with a warning.
      expect(r.stderr).toMatch(/taking over the lock of an interrupted run/);
      expect(sh("node4", "grep -c r7 /etc/nomad.d/nomad.hcl")).toBe("1");
      expect(sh("node4", "systemctl show -p MainPID --value nomad.service")).not.toBe(pidBefore);
      const again = await np(["up"]);
      expect(again.stdout).toMatch(/is up to date: nothing changed/);
    });

    it("repairs drifted server configs, restarting the servers one at a time behind a healthy quorum", async () => {
      const servers = ["node1", "node2", "node3"];
      const pids = servers.map((n) => sh(n, "systemctl show -p MainPID --value consul.service"));
      for (const n of servers) sh(n, "echo '# edited by hand' >> /etc/consul.d/consul.hcl");
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // Each restart is followed by a health gate before the next server restarts.
      const events = [
        ...r.stdout.matchAll(/^(node[123]): (restarting consul|consul restarted; waiting)/gm),
      ].map((m) => `${m[1]} ${m[2]}`);
      expect(events).toHaveLength(6);
      for (let i = 0; i < 6; i += 2) {
        expect(events[i]).toMatch(/restarting consul/);
        expect(events[i + 1]).toMatch(/consul restarted; waiting/);
        expect(events[i]?.split(" ")[0]).toBe(events[i + 1]?.split(" ")[0]);
      }
      for (const [i, n] of servers.entries()) {
        expect(sh(n, "grep -c 'edited by hand' /etc/consul.d/consul.hcl || true")).toBe("0");
        expect(sh(n, "systemctl show -p MainPID --value consul.service")).not.toBe(pids[i]);
      }
      expect((await np(["status"])).code).toBe(0);
    });

    it("refuses to run while another np holds the lock, and np unlock releases it", async () => {
      const holder = JSON.stringify({
        by: "ops@elsewhere",
        pid: 4242,
        command: "np up",
        since: "2026-01-01T00:00:00.000Z",
      });
      sh("node1", `mkdir -p /var/lib/np/lock && printf '%s\\n' '${holder}' > /var/lib/np/lock/holder`);
      const r = await np(["up"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /the cluster is locked by ops@elsewhere \(pid 4242, `np up`\) since 2026-01-01T00:00:00.000Z — stale/,
      );
      expect(r.stderr).toMatch(/np unlock/);
      const refused = await np(["unlock"]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toMatch(/locked by ops@elsewhere/);
      expect(sh("node1", "ls /var/lib/np")).toContain("lock");
      const released = await np(["unlock", "--yes"]);
      expect(released.code, released.stderr).toBe(0);
      expect(sh("node1", "ls /var/lib/np")).not.toContain("lock");
      expect((await np(["up"])).code).toBe(0);
    });
  },
);
