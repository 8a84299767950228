import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { nomadCurlAsNp } from "../helpers/nomad-curl.js";
import { npBin, runNp, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

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
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-up-"));
    // This file's own artifact cache: every e2e file builds its own mirror (same versions, other bytes), and files
    // run side by side.
    process.env.NP_CACHE_DIR = path.join(work, "cache");
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
    const writeInv = (inv: object, file = invFile) => writeFileSync(file, stringify(inv));
    const readInv = () => parse(readFileSync(invFile, "utf8")) as Inv;
    /** mtimes of np's files and the MainPIDs of its services: a no-op run must leave them all as they were. */
    const fingerprint = (name: string) =>
      sh(
        name,
        `stat -c '%n %Y' ${MANAGED.join(" ")}; systemctl show -p MainPID --value consul.service nomad.service`,
      );
    const five = ["node1", "node2", "node3", "node4", "node5"];
    /** Consul denies anonymous reads (ACLs, default deny): the management token np keeps, for the CLI and curl. */
    const token = () => readFileSync(path.join(work, ".np", "secrets", "consul-management"), "utf8").trim();
    const consulCli = (args: string) =>
      `CONSUL_HTTP_TOKEN=${token()} consul ${args} -http-addr=127.0.0.1:8500`;

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: 6, subnet: SUBNET }, work);
      sbx = site.sbx;
      writeInv({
        cluster: { name: "e2e", datacenter: "dc1" },
        ...site.reach,
        hosts: [
          { name: "node1", address: addr("node1"), roles: ["server"] },
          { name: "node2", address: addr("node2"), roles: ["server"] },
          { name: "node3", address: addr("node3"), roles: ["server"] },
          { name: "node4", address: addr("node4"), roles: ["client", "edge"] },
          { name: "node5", address: addr("node5"), roles: ["client", "observe"] },
        ],
      });
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
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
        expect(
          sh(n, "find /usr/local/bin /usr/local/lib/np /etc/consul.d -mindepth 1 2>/dev/null | wc -l"),
        ).toBe("0");
    });

    it("np up forms a real 3-server Consul quorum and the Nomad servers' quorum", async () => {
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const peers = sh("node1", consulCli("operator raft list-peers"));
      const rows = peers.split("\n").slice(1);
      expect(rows).toHaveLength(3);
      expect(rows.filter((l) => /\sleader\s+true\s/.test(l))).toHaveLength(1);
      expect(rows.filter((l) => /\s(leader|follower)\s+true\s/.test(l))).toHaveLength(3);
      const members = sh("node2", consulCli("members"));
      for (const n of five) expect(members).toMatch(new RegExp(`^${n}\\s+\\S+\\s+alive`, "m"));
      const health = sh(
        "node1",
        nomadCurlAsNp(work, addr("node1"), "/v1/operator/autopilot/health", "-w ' %{http_code}'"),
      );
      expect(health).toMatch(/ 200$/);
      expect(JSON.parse(health.replace(/ 200$/, ""))).toMatchObject({ Healthy: true, FailureTolerance: 1 });
      const nodes = JSON.parse(sh("node2", nomadCurlAsNp(work, addr("node2"), "/v1/nodes"))) as {
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
      expect(r.stdout).toMatch(
        /^node4\s+client,edge\s+alive 1\.8\.7\s+ready 1\.10\.5\s+traefik passing, np-agent passing$/m,
      );
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
      // The ACL phase kept np's Consul policies, as read, for the next run (.np/consul-policies.json, 0600).
      const cacheFile = path.join(work, ".np", "consul-policies.json");
      expect(statSync(cacheFile).mode & 0o777).toBe(0o600);
      const kept = Object.values(JSON.parse(readFileSync(cacheFile, "utf8"))) as {
        index: number;
        policy: { Name: string; Rules: string; ModifyIndex: number };
      }[];
      expect(kept.length).toBeGreaterThan(0);
      for (const e of kept)
        expect([e.index, e.policy.Rules.length > 0]).toEqual([e.policy.ModifyIndex, true]);
    });

    it("np plan on the converged cluster shows no changes", async () => {
      const r = await np(["plan"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^no changes/m);
      expect(JSON.parse((await np(["plan", "--json"])).stdout)).toEqual({ changes: [] });
    });

    it("refuses a tampered artifact before installing anything", async () => {
      // A copy of the mirror as a `source: dir` folder, with the Nomad archive tampered.
      const dir = path.join(work, "tampered");
      cpSync(path.join(work, "mirror"), dir, { recursive: true });
      appendFileSync(path.join(dir, "nomad", "1.10.5", "nomad_1.10.5_linux_amd64.zip"), "tampered");
      const file = path.join(work, "tampered.yaml");
      writeInv({ ...readInv(), artifacts: { source: "dir", dir, trusted_keys: [site?.keyPath] } }, file);
      const before = five.map(fingerprint);
      const r = await np(["up"], file);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /nomad_1\.10\.5_linux_amd64\.zip: sha256 is [0-9a-f]{8,}.* but nomad_1\.10\.5_SHA256SUMS says [0-9a-f]{8,}/,
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

    it("np status compares with the inventory: a host that never joined makes the cluster degraded", async () => {
      const inv = readInv();
      inv.hosts.push({ name: "node6", address: addr("node6"), roles: ["client"] });
      const file = path.join(work, "with-node6.yaml");
      writeInv(inv, file);
      const r = await np(["status"], file);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/node6: not a Consul member/);
      expect(r.stderr).toMatch(/node6: not a Nomad client/);
    });

    it("a host added to the inventory joins on the next np up; the others are untouched", async () => {
      const before = five.map(fingerprint);
      const inv = readInv();
      inv.hosts.push({ name: "node6", address: addr("node6"), roles: ["client"] });
      writeInv(inv);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // Nothing changes on the other hosts; the first server only carries node6's new Consul tokens (cluster-wide
      // API writes, made through it), and says so.
      expect(r.stdout).not.toMatch(
        /^node[1-5]: (?!credential (consul|nomad) create (policy|token): create (policy|token) np(-agent-node6|: Consul agent on node6|: np-agent on node6)$)/m,
      );
      expect(r.stdout).toMatch(
        /^node1: credential consul create token: create token np: Consul agent on node6$/m,
      );
      expect(five.map(fingerprint)).toEqual(before);
      expect(sh("node1", consulCli("members"))).toMatch(/^node6\s+\S+\s+alive/m);
      const nodes = JSON.parse(sh("node1", nomadCurlAsNp(work, addr("node1"), "/v1/nodes"))) as {
        Name: string;
        Status: string;
      }[];
      expect(nodes.find((n) => n.Name === "node6")?.Status).toBe("ready");
    });

    /** Starts `np up` and stops it with `signal` as soon as its output mentions `trigger`. */
    const interruptUp = async (signal: NodeJS.Signals, trigger: string) => {
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
          if (out.includes(trigger)) child.kill(signal);
        });
        child.on("exit", (c) => resolve(c));
      });
      return { code, out, err };
    };
    const setMeta = (name: string, meta: Record<string, string>) => {
      const inv = readInv();
      const h = inv.hosts.find((x) => x.name === name);
      if (h) h.meta = meta;
      writeInv(inv);
    };

    it("an interrupted np up (Ctrl-C) records the restart it owes on the host, and the next run pays it", async () => {
      const pidBefore = sh("node4", "systemctl show -p MainPID --value nomad.service");
      setMeta("node4", { rack: "r7" });
      // np plan shows the change with a short diff, and only on node4.
      const plan = await np(["plan"]);
      expect(plan.code, plan.stderr).toBe(0);
      // A client's nomad.hcl holds its Consul token: the change is shown, its content is not.
      expect(plan.stdout).toMatch(
        /^node4:\n\s+file\s+\/etc\/nomad\.d\/nomad\.hcl: update \(secret content not shown\)$/m,
      );
      expect(plan.stdout).not.toMatch(/r7/);
      expect(plan.stdout).toMatch(/restart nomad/);
      expect(plan.stdout).not.toMatch(/^node[1235]:/m);
      // One host: said in the singular (np printed "1 hosts" once).
      expect(plan.stdout).toMatch(/^\d+ changes? on 1 host; run `np up` to apply them$/m);
      const run = await interruptUp("SIGINT", "/etc/nomad.d/nomad.hcl");
      expect(run.out).toContain("/etc/nomad.d/nomad.hcl");
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/interrupted: remote commands were stopped and connections closed/);
      // On the node: the restart np owes is recorded, and nomad still runs its old process.
      expect(sh("node4", "ls /var/lib/np/restart-pending")).toBe("nomad");
      expect(sh("node4", "systemctl show -p MainPID --value nomad.service")).toBe(pidBefore);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^cluster e2e is up: \d+ changes? on 1 host \(/m);
      expect(sh("node4", "grep -c r7 /etc/nomad.d/nomad.hcl")).toBe("1");
      expect(sh("node4", "systemctl show -p MainPID --value nomad.service")).not.toBe(pidBefore);
      expect(sh("node4", "ls /var/lib/np/restart-pending | wc -l")).toBe("0");
      const again = await np(["up"]);
      expect(again.stdout).toMatch(/is up to date: nothing changed/);
    });

    it("a killed np up (SIGKILL: no clean-up at all) leaves no lock behind and the next run converges", async () => {
      const pidBefore = sh("node4", "systemctl show -p MainPID --value nomad.service");
      setMeta("node4", { rack: "r8" });
      const run = await interruptUp("SIGKILL", "/etc/nomad.d/nomad.hcl");
      expect(run.code).toBe(null);
      expect(sh("node4", "ls /var/lib/np/restart-pending")).toBe("nomad");
      // The lock's holder process on the servers died with np's SSH channels.
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/locked/);
      expect(sh("node4", "grep -c r8 /etc/nomad.d/nomad.hcl")).toBe("1");
      expect(sh("node4", "systemctl show -p MainPID --value nomad.service")).not.toBe(pidBefore);
      expect(sh("node4", "ls /var/lib/np/restart-pending | wc -l")).toBe("0");
    });

    it("a host whose network is cut mid-run is named, np exits 1 in bounded time, and the next run converges", async () => {
      setMeta("node5", { rack: "r9" });
      const started = Date.now();
      const child: ChildProcess = spawn(process.execPath, [npBin, "up", "-i", invFile], {
        env: { ...process.env, NO_COLOR: "1" },
      });
      let out = "";
      let err = "";
      let cut = false;
      child.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
      });
      const code = await new Promise<number | null>((resolve) => {
        child.stdout?.on("data", (c: Buffer) => {
          out += c.toString();
          if (!cut && out.includes("node5: file /etc/nomad.d/nomad.hcl")) {
            cut = true;
            // Cut node5's network for 35 s, a moment from now (the ssh session that schedules it returns first):
            // longer than np needs to notice a silent connection (15-20 s), short enough for a quick recovery.
            onNode("node5", [
              "sh",
              "-c",
              "nohup sh -c 'sleep 0.3; ip link set host0 down; sleep 35; ip link set host0 up' >/dev/null 2>&1 &",
            ]);
          }
        });
        child.on("exit", (c) => resolve(c));
      });
      const took = Date.now() - started;
      expect(cut, out).toBe(true);
      expect(code, out + err).toBe(1);
      expect(err).toMatch(/node5: connection lost/);
      expect(err).not.toMatch(/internal error/);
      expect(took).toBeLessThan(120_000);
      // The network comes back by itself; the next run converges.
      for (let i = 0; i < 90 && onNode("node5", ["true"]).code !== 0; i++)
        await new Promise((res) => setTimeout(res, 1000));
      const again = await np(["up"]);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(sh("node5", "grep -c r9 /etc/nomad.d/nomad.hcl")).toBe("1");
    }, 300_000);

    it("repairs drifted server configs, restarting a server only once the previous one is healthy again", async () => {
      const servers = ["node1", "node2", "node3"];
      const pids = servers.map((n) => sh(n, "systemctl show -p MainPID --value consul.service"));
      for (const n of servers) sh(n, "echo '# edited by hand' >> /etc/consul.d/consul.hcl");
      // Autopilot, sampled every 200 ms from node4 (a client, not restarted) while np runs: its own record of
      // which servers were healthy, independent of np.
      sh(
        "node4",
        `rm -f /tmp/ap.log; nohup sh -c 'while :; do curl -s -m 1 -H "X-Consul-Token: ${token()}" http://127.0.0.1:8500/v1/operator/autopilot/health; echo; sleep 0.2; done' >/tmp/ap.log 2>/dev/null & echo $! > /tmp/ap.pid`,
      );
      const r = await np(["up"]);
      sh("node4", "kill $(cat /tmp/ap.pid)");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const events = [
        ...r.stdout.matchAll(/^(node[123]): (restarting consul|consul restarted; waiting)/gm),
      ].map((m) => `${m[1]} ${m[2]}`);
      expect(events).toHaveLength(6);
      for (const [i, n] of servers.entries()) {
        expect(sh(n, "grep -c 'edited by hand' /etc/consul.d/consul.hcl || true")).toBe("0");
        expect(sh(n, "systemctl show -p MainPID --value consul.service")).not.toBe(pids[i]);
      }
      const samples = sh("node4", "cat /tmp/ap.log")
        .split("\n")
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as { Servers: { Name: string; Healthy: boolean }[] | null }];
          } catch {
            return [];
          }
        })
        .filter((s) => s.Servers);
      expect(samples.length).toBeGreaterThan(20);
      const sick = samples.map((s) => (s.Servers ?? []).filter((x) => !x.Healthy).map((x) => x.Name));
      // Every server was seen down once (the gate waits for that), and never two at once: a gate that returned
      // before the restarted server was back would stop the next while the previous was still unhealthy.
      for (const n of servers)
        expect(
          sick.some((names) => names.includes(n)),
          n,
        ).toBe(true);
      expect(sick.filter((names) => names.length > 1)).toEqual([]);
      expect((await np(["status"])).code).toBe(0);
    });

    it("refuses to run while another run holds the lock on a majority, and np unlock --yes ends that hold", async () => {
      const holder = JSON.stringify({
        by: "ops@elsewhere",
        pid: 4242,
        command: "np up",
        since: "2026-01-01T00:00:00.000Z",
      });
      // Another run's hold, exactly as np takes it: flock on the lock file, held by a process on two servers.
      for (const n of ["node1", "node2"]) {
        sh(
          n,
          `nohup setsid sh -c 'exec 9>>/var/lib/np/cluster.lock; flock -n 9 || exit 3; printf "%s %s\\n" $$ "$1" > /var/lib/np/cluster.lock; sleep 600' sh '${holder}' >/dev/null 2>&1 & sleep 0.5`,
        );
      }
      const r = await np(["up"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /the cluster is locked by ops@elsewhere \(pid 4242, `np up`\) since 2026-01-01T00:00:00.000Z/,
      );
      expect(r.stderr).toMatch(/np unlock/);
      // np holds nothing after refusing: node3 is free again.
      expect(sh("node3", "flock -n /var/lib/np/cluster.lock true && echo free")).toBe("free");
      const refused = await np(["unlock"]);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toMatch(/^node1: locked by ops@elsewhere/m);
      const released = await np(["unlock", "--yes"]);
      expect(released.code, released.stderr).toBe(0);
      for (const n of ["node1", "node2"])
        expect(sh(n, "flock -n /var/lib/np/cluster.lock true && echo free")).toBe("free");
      expect((await np(["up"])).code).toBe(0);
    });

    it("two np up at once: exactly one takes the lock", async () => {
      setMeta("node4", { rack: "r10" });
      const [a, b] = await Promise.all([np(["up"]), np(["up"])]);
      const codes = [a.code, b.code].sort();
      expect(codes, a.stderr + b.stderr).toEqual([0, 1]);
      expect((a.code === 1 ? a : b).stderr).toMatch(/the cluster is locked by .*np up/);
    });

    it("np up repairs a cluster whose first server is down: a replacement server joins", async () => {
      onNode("node1", ["systemctl", "poweroff"]);
      // The replacement: node6 (a client until now) becomes a server; node1 leaves the inventory.
      const inv = readInv();
      inv.hosts = inv.hosts.filter((h) => h.name !== "node1");
      const node6 = inv.hosts.find((h) => h.name === "node6");
      if (node6) node6.roles = ["server"];
      writeInv(inv);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const peers = sh("node2", consulCli("operator raft list-peers"));
      expect(peers).toMatch(/^node6\s/m);
      expect(peers).not.toMatch(/^node1\s/m);
      // np status judges the new server by Consul's and Nomad's own health: under CI's load its services' checks
      // and autopilot's stability can take a few seconds more after np up returns. Healthy within 60 s, or the
      // last verdict is shown.
      const started = Date.now();
      let status = await np(["status"]);
      while (status.code !== 0 && Date.now() - started < 60_000) {
        await new Promise((r) => setTimeout(r, 3000));
        status = await np(["status"]);
      }
      console.log(`np status after the replacement: exit ${status.code} after ${Date.now() - started} ms`);
      expect(status.code, status.stdout + status.stderr).toBe(0);
    }, 600_000);
  },
);
