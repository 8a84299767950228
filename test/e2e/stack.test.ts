import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { nomadCurlAsNp } from "../helpers/nomad-curl.js";
import { npBin, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-stk";
const SUBNET = "10.213.30.0/24";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/stack.test.ts: ${skipReason}`);

interface Inv {
  hosts: { name: string; address: string; roles: string[] }[];
  traefik?: Record<string, string>;
  [k: string]: unknown;
}

const UNITS = ["consul", "nomad", "traefik", "openobserve", "np-agent"];
/** Which units run where: node3 is a server and the observe host, node4 and node5 clients and edges. */
const EXPECTED: Record<string, string[]> = {
  node1: ["consul", "nomad", "np-agent"],
  node2: ["consul", "nomad", "np-agent"],
  node3: ["consul", "nomad", "openobserve", "np-agent"],
  node4: ["consul", "nomad", "traefik", "np-agent"],
  node5: ["consul", "nomad", "traefik", "np-agent"],
};
const NODES = Object.keys(EXPECTED);

describe.skipIf(skipReason !== null)(
  "the whole stack on sandbox nodes: Traefik on the edges, OpenObserve on the observe host",
  { timeout: 300_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-stack-"));
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
    const np = (args: string[]) => runNpAsync([...args, "-i", invFile], { timeoutMs: 600_000 });
    const readInv = () => parse(readFileSync(invFile, "utf8")) as Inv;
    const writeInv = (inv: object) => writeFileSync(invFile, stringify(inv));
    /** Every secret np keeps in .np/secrets, by value: none may ever appear in np's output. */
    const secretValues = () => {
      const dir = path.join(work, ".np", "secrets");
      return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), "utf8").trim());
    };
    const consulToken = () =>
      readFileSync(path.join(work, ".np", "secrets", "consul-management"), "utf8").trim();
    const expectNoSecret = (text: string) => {
      for (const v of secretValues())
        expect(text.includes(v), "a secret value appears in np's output").toBe(false);
    };
    /** mtimes of the files and MainPIDs of the units of every component on a node. */
    const fingerprint = (name: string) =>
      sh(
        name,
        "find /etc/consul.d /etc/nomad.d /etc/traefik /etc/openobserve /etc/systemd/system -maxdepth 2 -type f -newer /etc/hostname -printf '%p %T@\\n' 2>/dev/null | sort; " +
          `systemctl show -p MainPID --value ${EXPECTED[name]?.map((u) => `${u}.service`).join(" ")}`,
      );

    beforeAll(async () => {
      // node5 is a small node (1 CPU, 128 MB): np nodes must show what the node itself reports.
      site = await startStackSite({ name: NAME, nodes: 5, subnet: SUBNET, small: ["node5"] }, work);
      sbx = site.sbx;
      writeInv({
        cluster: { name: "stack", datacenter: "dc1" },
        ...site.reach,
        preflight: { overrides: { node5: { memory_mb: 100, cpu: 1 } } },
        hosts: [
          { name: "node1", address: addr("node1"), roles: ["server"] },
          { name: "node2", address: addr("node2"), roles: ["server"] },
          { name: "node3", address: addr("node3"), roles: ["server", "observe"] },
          { name: "node4", address: addr("node4"), roles: ["client", "edge"] },
          { name: "node5", address: addr("node5"), roles: ["client", "edge"] },
        ],
      });
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("np plan on bare hosts lists every component's files and prints no secret", async () => {
      const r = await np(["plan"]);
      expect(r.code, r.stderr).toBe(0);
      for (const target of [
        "/etc/traefik/traefik.yaml",
        "/etc/openobserve/openobserve.env",
        "/usr/local/bin/traefik",
      ])
        expect(r.stdout).toContain(target);
      expect(r.stdout).toMatch(/\/etc\/openobserve\/openobserve\.env: create \(secret content not shown\)/);
      expectNoSecret(r.stdout + r.stderr);
      expectNoSecret((await np(["plan", "--json"])).stdout);
    });

    it("np up installs every component on the right nodes only, each active and ready", async () => {
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expectNoSecret(r.stdout + r.stderr);
      expect(r.stdout).toMatch(/^ {2}traefik: node4, node5$/m);
      expect(r.stdout).toMatch(/^ {2}openobserve: node3$/m);
      expect(r.stdout).toMatch(/np open openobserve/);
      for (const n of NODES) {
        const states = onNode(n, ["systemctl", "is-active", ...UNITS.map((u) => `${u}.service`)])
          .stdout.trim()
          .split("\n");
        const want = UNITS.map((u) => (EXPECTED[n]?.includes(u) ? "active" : "inactive"));
        expect(states, n).toEqual(want);
      }
      for (const n of ["node4", "node5"]) {
        expect(sh("node1", `curl -s http://${addr(n)}:8082/ping`)).toBe("OK");
        // Traefik runs as its own user, yet holds :80.
        expect(sh(n, "ps -o user= -p $(systemctl show -p MainPID --value traefik.service)")).toBe("traefik");
        expect(sh(n, "ss -Hltn 'sport = :80' | wc -l")).not.toBe("0");
      }
      expect(JSON.parse(sh("node1", `curl -s http://${addr("node3")}:5080/healthz`))).toEqual({
        status: "ok",
      });
      expect(sh("node3", "stat -c '%a %U:%G' /etc/openobserve/openobserve.env")).toBe("600 root:root");
      // Registered in Consul, with their checks passing.
      const passing = async (service: string, count: number) => {
        for (let i = 0; i < 60; i++) {
          // Consul denies reads without a token (ACLs, default deny): the management token np keeps.
          const list = JSON.parse(
            sh(
              "node1",
              `curl -s -H 'X-Consul-Token: ${consulToken()}' 'http://127.0.0.1:8500/v1/health/service/${service}?passing=1'`,
            ),
          );
          if (list.length === count) return list;
          await new Promise((res) => setTimeout(res, 1000));
        }
        throw new Error(`${service}: not ${count} passing instances in Consul`);
      };
      expect(
        (await passing("traefik", 2)).map((x: { Node: { Node: string } }) => x.Node.Node).sort(),
      ).toEqual(["node4", "node5"]);
      await passing("openobserve", 1);
    });

    it("np status reports Traefik and OpenObserve, and a stopped Traefik makes it exit 1 naming the edge", async () => {
      const ok = await np(["status"]);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^node4\s+client,edge\s+.*traefik passing, np-agent passing$/m);
      expect(ok.stdout).toMatch(/^node3\s+server,observe\s+.*openobserve passing, np-agent passing$/m);
      sh("node5", "systemctl stop traefik.service");
      try {
        let r = await np(["status"]);
        for (let i = 0; i < 30 && r.code === 0; i++) {
          await new Promise((res) => setTimeout(res, 1000));
          r = await np(["status"]);
        }
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/node5: traefik is critical/);
      } finally {
        sh("node5", "systemctl start traefik.service");
      }
    });

    it("a second np up changes nothing: file mtimes and every component's MainPID unchanged", async () => {
      const before = NODES.map(fingerprint);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/is up to date: nothing changed/);
      expect(NODES.map(fingerprint)).toEqual(before);
    });

    it("np nodes shows every node with the numbers the node itself reports", async () => {
      let r = await np(["nodes", "--json"]);
      for (let i = 0; i < 30 && r.code !== 0; i++) {
        await new Promise((res) => setTimeout(res, 1000));
        r = await np(["nodes", "--json"]);
      }
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const { nodes } = JSON.parse(r.stdout) as {
        nodes: {
          name: string;
          agent: string;
          summary: { cpuCount: number; memory: { totalBytes: number }; units: { up: number; down: number } };
        }[];
      };
      expect(nodes.map((n) => [n.name, n.agent])).toEqual(NODES.map((n) => [n, "fresh"]));
      for (const n of NODES) {
        const s = nodes.find((x) => x.name === n)?.summary;
        expect(s?.cpuCount, n).toBe(Number(sh(n, "nproc")));
        const memKb = Number(sh(n, "awk '/^MemTotal:/ { print $2 }' /proc/meminfo"));
        expect(s?.memory.totalBytes, n).toBe(memKb * 1024);
        expect(s?.units, n).toMatchObject({ up: EXPECTED[n]?.length, down: 0 });
      }
      // The small node: 1 CPU and 128 MB, as `free` and `nproc` say there.
      expect(nodes.find((x) => x.name === "node5")?.summary.memory.totalBytes).toBe(128 * 1024 * 1024);
      expect(nodes.find((x) => x.name === "node5")?.summary.cpuCount).toBe(1);
      const table = await np(["nodes"]);
      expect(table.stdout).toMatch(/^node5\s+client,edge\s+fresh\s+\S+% of 1\s/m);
    });

    it("systemd restarts np-agent when it is killed", async () => {
      const pid = sh("node4", "systemctl show -p MainPID --value np-agent.service");
      sh("node4", `kill -KILL ${pid}`);
      let now = pid;
      for (let i = 0; i < 30 && (now === pid || now === "0"); i++) {
        await new Promise((res) => setTimeout(res, 500));
        now = sh("node4", "systemctl show -p MainPID --value np-agent.service");
      }
      expect(now).not.toBe(pid);
      expect(now).not.toBe("0");
      expect(sh("node4", "systemctl is-active np-agent.service")).toBe("active");
    });

    it("lines of an allocation's log arrive in OpenObserve exactly once, across an agent restart, a rotation and an outage", async () => {
      // A job whose task writes 6000 numbered lines of ~200 bytes (1.2 MB: Nomad rotates at 1 MB), slowly.
      const job = {
        Job: {
          ID: "logger",
          Name: "logger",
          Type: "service",
          Datacenters: ["dc1"],
          TaskGroups: [
            {
              Name: "logger",
              Count: 1,
              Tasks: [
                {
                  Name: "logger",
                  Driver: "exec",
                  Config: {
                    command: "/bin/sh",
                    args: [
                      "-c",
                      `i=0; pad=$(printf '%0180d' 0); while [ $i -lt 6000 ]; do printf 'line %06d %s\\n' $i $pad; i=$((i+1)); [ $((i % 150)) -eq 0 ] && sleep 1; done; exec sleep 3600`,
                    ],
                  },
                  LogConfig: { MaxFiles: 10, MaxFileSizeMB: 1 },
                  Resources: { CPU: 100, MemoryMB: 32 },
                },
              ],
            },
          ],
        },
      };
      writeFileSync(path.join(work, "logger.json"), JSON.stringify(job));
      const put = onNode("node1", [
        "sh",
        "-c",
        nomadCurlAsNp(work, addr("node1"), "/v1/jobs", '-f -X PUT --data-binary "$1"'),
        "sh",
        JSON.stringify(job),
      ]);
      expect(put.code, put.stderr).toBe(0);
      let alloc: { ID: string; NodeName: string; ClientStatus: string } | undefined;
      for (let i = 0; i < 60 && alloc?.ClientStatus !== "running"; i++) {
        await new Promise((res) => setTimeout(res, 1000));
        alloc = JSON.parse(sh("node1", nomadCurlAsNp(work, addr("node1"), "/v1/job/logger/allocations")))[0];
      }
      expect(alloc?.ClientStatus).toBe("running");
      const node = alloc?.NodeName as string;
      const id = alloc?.ID as string;
      const logs = `/var/lib/nomad/alloc/${id}/alloc/logs`;
      const written = () => Number(sh(node, `cat ${logs}/logger.stdout.* | wc -l`));
      // Counted on node1 with np's own Node.js runtime (the records would be megabytes of JSON over ssh).
      const shipped = async () => {
        const url = `http://${addr("node3")}:5080/np-double/v1/records?org=default&stream=nomad_logs`;
        const script = `fetch(${JSON.stringify(url)}).then((r) => r.json()).then((d) => { const x = d.records.filter((r) => r.alloc_id === ${JSON.stringify(id)}); console.log(x.length, new Set(x.map((r) => r.message)).size); })`;
        const [count, distinct] = sh("node1", `/usr/local/lib/np/node -e '${script}'`).split(" ").map(Number);
        return { count, distinct };
      };
      const wait = (ms: number) => new Promise((res) => setTimeout(res, ms));
      await wait(8000);
      sh(node, "systemctl restart np-agent.service");
      await wait(8000);
      // OpenObserve out for 15 s.
      sh("node3", "systemctl stop openobserve.service");
      await wait(15000);
      sh("node3", "systemctl start openobserve.service");
      // The task ends its 6000 lines after about 40 s; then every line must arrive once.
      for (let i = 0; i < 120 && written() < 6000; i++) await wait(1000);
      expect(written()).toBe(6000);
      expect(Number(sh(node, `ls ${logs} | grep -c '^logger.stdout'`))).toBeGreaterThan(1);
      let got = await shipped();
      for (let i = 0; i < 120 && got.count < 6000; i++) {
        await wait(1000);
        got = await shipped();
      }
      expect(got).toEqual({ count: 6000, distinct: 6000 });
      sh("node1", nomadCurlAsNp(work, addr("node1"), "/v1/job/logger?purge=true", "-X DELETE"));
    }, 420_000);

    it("a Traefik config change restarts the edges one at a time: /ping on one of them answers throughout", async () => {
      const pids = ["node4", "node5"].map((n) => sh(n, "systemctl show -p MainPID --value traefik.service"));
      const inv = readInv();
      inv.traefik = { dashboard_host: "traefik.stack.test" };
      writeInv(inv);
      const plan = await np(["plan"]);
      expect(plan.stdout).toMatch(
        /\/etc\/traefik\/dynamic\/np-dashboard\.yaml: create \(secret content not shown\)/,
      );
      // traefik.yaml holds Traefik's Consul token: a secret file, changed without a diff.
      expect(plan.stdout).toMatch(/\/etc\/traefik\/traefik\.yaml: update \(secret content not shown\)/);
      expectNoSecret(plan.stdout + plan.stderr);
      // /ping of both edges, sampled every 100 ms from node1 while np runs.
      const e4 = addr("node4");
      const e5 = addr("node5");
      sh(
        "node1",
        `rm -f /tmp/ping.log; nohup sh -c 'while :; do a=$(curl -s -o /dev/null -m 1 -w "%{http_code}" http://${e4}:8082/ping); b=$(curl -s -o /dev/null -m 1 -w "%{http_code}" http://${e5}:8082/ping); echo "$a $b"; sleep 0.1; done' >/tmp/ping.log 2>/dev/null & echo $! >/tmp/ping.pid`,
      );
      const r = await np(["up"]);
      sh("node1", "kill $(cat /tmp/ping.pid)");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expectNoSecret(r.stdout + r.stderr);
      for (const [i, n] of ["node4", "node5"].entries())
        expect(sh(n, "systemctl show -p MainPID --value traefik.service"), n).not.toBe(pids[i]);
      const samples = sh("node1", "cat /tmp/ping.log")
        .split("\n")
        .map((l) => l.split(" "));
      expect(samples.length).toBeGreaterThan(20);
      // Each edge was seen not answering 200 while it restarted, but never both at once.
      expect(samples.some(([a]) => a !== "200")).toBe(true);
      expect(samples.some(([, b]) => b !== "200")).toBe(true);
      expect(samples.filter(([a, b]) => a !== "200" && b !== "200")).toEqual([]);
    });

    it("np open forwards a local port to a UI through SSH until Ctrl-C, and says where its login is", async () => {
      const port = 18082;
      const child: ChildProcess = spawn(
        process.execPath,
        [npBin, "open", "traefik", "--port", String(port), "-i", invFile],
        {
          env: { ...process.env, NO_COLOR: "1" },
        },
      );
      let out = "";
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      for (let i = 0; i < 100 && !out.includes("Ctrl-C"); i++)
        await new Promise((res) => setTimeout(res, 100));
      expect(out).toMatch(
        new RegExp(`^traefik on node[45]: http://127\\.0\\.0\\.1:${port}/dashboard/$`, "m"),
      );
      expect(out).toMatch(/log in: user admin, password in .*\.np\/secrets\/traefik-dashboard/);
      const password = readFileSync(path.join(work, ".np", "secrets", "traefik-dashboard"), "utf8").trim();
      expectNoSecret(out);
      const get = async (auth?: string) =>
        (
          await fetch(`http://127.0.0.1:${port}/dashboard/`, {
            headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {},
          })
        ).status;
      expect(await get()).toBe(401);
      expect(await get(`admin:${password}`)).toBe(200);
      const code = await new Promise<number | null>((resolve) => {
        child.on("exit", (c) => resolve(c));
        child.kill("SIGINT");
      });
      expect(code).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    });
  },
);
