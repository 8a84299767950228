import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { npBin, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-sec";
const SUBNET = "10.213.33.0/24";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/security.test.ts: ${skipReason}`);

const EXPECTED: Record<string, string[]> = {
  node1: ["consul", "nomad", "np-agent"],
  node2: ["consul", "nomad", "np-agent"],
  node3: ["consul", "nomad", "openobserve", "np-agent"],
  node4: ["consul", "nomad", "traefik", "np-agent"],
  node5: ["consul", "nomad", "traefik", "np-agent"],
};
const NODES = Object.keys(EXPECTED);
const wait = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * A node's Node.js runtime speaking Consul's RPC protocol to a server: the first byte names the protocol
 * (0x01 plain RPC, 0x03 TLS); with TLS, a client certificate from `certDir` when given. Prints what happened.
 */
const rpcProbe = (server: string, mode: "plain" | "tls", certDir = "") => `
const net = require("node:net"), tls = require("node:tls"), fs = require("node:fs");
const done = (w) => { console.log(w); process.exit(0); };
setTimeout(() => done("still open"), 8000);
const raw = net.connect(8300, ${JSON.stringify(server)}, () => {
  if (${JSON.stringify(mode)} === "plain") { raw.write(Buffer.from([0x01, 0x80])); raw.on("close", () => done("closed")); return; }
  raw.write(Buffer.from([0x03]));
  const dir = ${JSON.stringify(certDir)};
  const t = tls.connect({ socket: raw, ca: fs.readFileSync("/etc/consul.d/tls/ca.pem"), servername: "server.dc1.consul",
    ...(dir ? { cert: fs.readFileSync(dir + "/server.pem"), key: fs.readFileSync(dir + "/server-key.pem") } : {}) });
  t.on("secureConnect", () => { t.write(Buffer.from([0x01])); setTimeout(() => done(t.destroyed ? "refused" : "accepted"), 1500); });
  t.on("error", () => done("refused"));
});
raw.on("error", (e) => done("error " + e.code));
`;

describe.skipIf(skipReason !== null)(
  "a fresh np up is secure by default: Consul TLS and ACLs, asserted on the nodes",
  { timeout: 300_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-sec-"));
    // This file's own artifact cache: every e2e file builds its own mirror (same versions, other bytes), and files
    // run side by side.
    process.env.NP_CACHE_DIR = path.join(work, "cache");
    const invFile = path.join(work, "inventory.yaml");
    const secret = (name: string) => readFileSync(path.join(work, ".np", "secrets", name), "utf8").trim();
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });
    const sh = (name: string, script: string) => {
      const r = onNode(name, ["sh", "-c", script]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    /** Runs a script with the management token in $T (handed over as an argument, never in np's output). */
    const withToken = (name: string, script: string) => {
      const r = onNode(name, ["sh", "-c", script, "sh", secret("consul-management")]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    const np = (args: string[]) => runNpAsync([...args, "-i", invFile], { timeoutMs: 600_000 });
    const expectNoSecret = (text: string) => {
      const dir = path.join(work, ".np", "secrets");
      for (const f of readdirSync(dir)) {
        const v = readFileSync(path.join(dir, f), "utf8").trim();
        // A certificate is public; its key, the tokens and the passwords are not.
        if (!f.endsWith(".crt")) expect(text.includes(v), `${f} appears in np's output`).toBe(false);
      }
    };
    const fingerprint = (name: string) =>
      sh(
        name,
        "find /etc/consul.d /etc/nomad.d /etc/traefik /etc/openobserve /etc/np-agent /etc/systemd/system -maxdepth 2 -type f -newer /etc/hostname -printf '%p %T@\\n' 2>/dev/null | sort; " +
          `systemctl show -p MainPID --value ${EXPECTED[name]?.map((u) => `${u}.service`).join(" ")}`,
      );

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: 5, subnet: SUBNET }, work);
      sbx = site.sbx;
      writeFileSync(
        invFile,
        stringify({
          cluster: { name: "sec", datacenter: "dc1" },
          ...site.reach,
          hosts: [
            { name: "node1", address: addr("node1"), roles: ["server"] },
            { name: "node2", address: addr("node2"), roles: ["server"] },
            { name: "node3", address: addr("node3"), roles: ["server", "observe"] },
            { name: "node4", address: addr("node4"), roles: ["client", "edge"] },
            { name: "node5", address: addr("node5"), roles: ["client", "edge"] },
          ],
        }),
      );
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("np up on bare hosts bootstraps the ACLs once and keeps the CA, certificates and tokens in .np/secrets", async () => {
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expectNoSecret(r.stdout + r.stderr);
      expect(r.stdout + r.stderr).toMatch(/Consul's ACLs are bootstrapped/);
      const files = readdirSync(path.join(work, ".np", "secrets"));
      for (const f of ["cluster-ca.crt", "cluster-ca.key", "consul-management", "consul-server-node1.key"])
        expect(files).toContain(f);
      for (const n of NODES) {
        const states = onNode(n, [
          "systemctl",
          "is-active",
          ...(EXPECTED[n] ?? []).map((u) => `${u}.service`),
        ]);
        expect(states.stdout.trim().split("\n"), n).toEqual((EXPECTED[n] ?? []).map(() => "active"));
      }
      // Files that hold a key or a token: readable by their service only.
      expect(
        sh("node1", "stat -c '%a %U:%G' /etc/consul.d/consul.hcl /etc/consul.d/tls/server-key.pem"),
      ).toBe("640 root:consul\n640 root:consul");
      expect(sh("node4", "stat -c '%a %U:%G' /etc/traefik/traefik.yaml /etc/np-agent/config.json")).toBe(
        "640 root:traefik\n640 root:np-agent",
      );
      expect(sh("node4", "test -e /etc/consul.d/tls/server-key.pem && echo yes || echo no")).toBe("no");
    });

    it("without a token Consul shows nothing and refuses writes (plain curl and consul on the nodes)", async () => {
      for (const n of ["node1", "node4"]) {
        expect(sh(n, "curl -s http://127.0.0.1:8500/v1/catalog/nodes"), n).toBe("[]");
        expect(sh(n, "curl -s http://127.0.0.1:8500/v1/catalog/services"), n).toBe("{}");
        expect(
          sh(n, "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8500/v1/kv/np/nodes/node1"),
          n,
        ).toBe("403");
        expect(
          sh(n, "curl -s -o /dev/null -w '%{http_code}' -X PUT -d x http://127.0.0.1:8500/v1/kv/intruder"),
          n,
        ).toBe("403");
        // `consul members` without a token lists no member (Consul filters what the anonymous token may see).
        const anon = onNode(n, ["consul", "members"]);
        expect(anon.stdout + anon.stderr, n).not.toMatch(/node[1-5]\s+10\.213\.33/);
      }
      // With the management token the same commands see everything: the assertions above can fail.
      expect(withToken("node4", 'CONSUL_HTTP_TOKEN="$1" consul members')).toMatch(
        /^node5\s+10\.213\.33\.\d+:8301\s+alive/m,
      );
      expect(
        JSON.parse(
          withToken("node4", 'curl -s -H "X-Consul-Token: $1" http://127.0.0.1:8500/v1/catalog/nodes'),
        ),
      ).toHaveLength(5);
    });

    it("Consul's APIs are on loopback only; RPC refuses plain and certificate-less clients", async () => {
      const server = addr("node1");
      // From another node: neither HTTP nor HTTPS answers on the server's address (curl 7: connection refused).
      for (const port of [8500, 8501]) {
        const r = onNode("node4", ["curl", "-s", "-m", "5", `http://${server}:${port}/v1/status/leader`]);
        expect(r.code, `port ${port}`).toBe(7);
      }
      // On the server, HTTPS answers with a certificate of the cluster CA naming 127.0.0.1.
      expect(
        sh("node1", "curl -s --cacert /etc/consul.d/tls/ca.pem https://127.0.0.1:8501/v1/status/leader"),
      ).toMatch(/^"10\.213\.33\.\d+:8300"$/);
      const node = (script: string) =>
        sh("node4", `/usr/local/lib/np/node -e '${script.replaceAll("'", "'\\''")}'`);
      expect(node(rpcProbe(server, "plain"))).toBe("closed");
      expect(node(rpcProbe(server, "tls"))).toBe("refused");
      // Another server, with its own certificate of the cluster CA, is accepted: the probe can tell.
      const onServer2 = (script: string) =>
        sh("node2", `/usr/local/lib/np/node -e '${script.replaceAll("'", "'\\''")}'`);
      expect(onServer2(rpcProbe(server, "tls", "/etc/consul.d/tls"))).toBe("accepted");
    });

    it("np status and np nodes work with np's tokens; the services registered with theirs", async () => {
      let r = await np(["status"]);
      for (let i = 0; i < 60 && r.code !== 0; i++) {
        await wait(2000);
        r = await np(["status"]);
      }
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^node4\s+client,edge\s+.*traefik passing, np-agent passing$/m);
      expect(r.stdout).toMatch(/^node3\s+server,observe\s+.*openobserve passing, np-agent passing$/m);
      expectNoSecret(r.stdout + r.stderr);
      let nodes = await np(["nodes", "--json"]);
      for (let i = 0; i < 30 && nodes.code !== 0; i++) {
        await wait(2000);
        nodes = await np(["nodes", "--json"]);
      }
      expect(nodes.code, nodes.stdout + nodes.stderr).toBe(0);
      const list = (JSON.parse(nodes.stdout) as { nodes: { name: string; agent: string }[] }).nodes;
      expect(list.map((n) => [n.name, n.agent])).toEqual(NODES.map((n) => [n, "fresh"]));
    });

    it("Traefik routes from the catalog with its token", async () => {
      // A service registered with the management token, pointing at node3's np-agent: Traefik must see it.
      const service = {
        Name: "probe",
        ID: "probe",
        Address: addr("node3"),
        Port: 9190,
        Tags: ["traefik.enable=true", "traefik.http.routers.probe.rule=Host(`probe.sec.test`)"],
      };
      withToken(
        "node3",
        `curl -sf -X PUT -H "X-Consul-Token: $1" --data-binary '${JSON.stringify(service)}' http://127.0.0.1:8500/v1/agent/service/register`,
      );
      let body = "";
      for (let i = 0; i < 60 && !body.includes('"status"'); i++) {
        await wait(1000);
        body = onNode("node1", [
          "curl",
          "-s",
          "-m",
          "3",
          "-H",
          "Host: probe.sec.test",
          `http://${addr("node4")}/v1/health`,
        ]).stdout;
      }
      expect(JSON.parse(body)).toMatchObject({ status: expect.stringMatching(/ok|unhealthy/) });
      withToken(
        "node3",
        'curl -sf -X PUT -H "X-Consul-Token: $1" http://127.0.0.1:8500/v1/agent/service/deregister/probe',
      );
    });

    it("np open consul says where the UI's token is", async () => {
      const child: ChildProcess = spawn(
        process.execPath,
        [npBin, "open", "consul", "--port", "18533", "-i", invFile],
        {
          env: { ...process.env, NO_COLOR: "1" },
        },
      );
      let out = "";
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      for (let i = 0; i < 100 && !out.includes("Ctrl-C"); i++) await wait(100);
      expect(out).toMatch(/token in .*\.np\/secrets\/consul-management/);
      expectNoSecret(out);
      const res = await fetch("http://127.0.0.1:18533/v1/catalog/nodes", {
        headers: { "X-Consul-Token": secret("consul-management") },
      });
      expect(((await res.json()) as unknown[]).length).toBe(5);
      await new Promise<void>((resolve) => {
        child.on("exit", () => resolve());
        child.kill("SIGINT");
      });
    });

    it("a second np up changes nothing: no file written, no unit restarted, no token made", async () => {
      const before = NODES.map(fingerprint);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/is up to date: nothing changed/);
      expectNoSecret(r.stdout + r.stderr);
      expect(NODES.map(fingerprint)).toEqual(before);
    });
  },
);
