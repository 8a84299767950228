import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { consulServerProfile, issueLeaf } from "../../src/pki/index.js";
import { consulMissing } from "../helpers/consul-binary.js";
import { visitEdge } from "../helpers/edge-visit.js";
import { NOMAD_AGENT_CERT, nomadCurl } from "../helpers/nomad-curl.js";
import { npBin, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { sandboxAppYaml } from "../helpers/sandbox-app.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-rot";
const SUBNET = "10.213.35.0/24";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/lifecycle.test.ts: ${skipReason}`);

const UNITS: Record<string, string[]> = {
  node1: ["consul", "nomad", "np-agent"],
  node2: ["consul", "nomad", "np-agent"],
  node3: ["consul", "nomad", "openobserve", "np-agent"],
  node4: ["consul", "nomad", "traefik", "np-agent"],
};
const NODES = Object.keys(UNITS);
const TLS = { cert: "/etc/consul.d/tls/server.pem", key: "/etc/consul.d/tls/server-key.pem" };
const wait = (ms: number) => new Promise((res) => setTimeout(res, ms));
const HOST = "hello.rot.test";

/** A tiny app (the contract tests' /health app) on node4, the only client, routed by node4's Traefik. */
const APP_YAML = sandboxAppYaml({ host: HOST, count: 1, healthyDeadline: "20s", progressDeadline: "60s" });

/** The ACL tokens np keeps for this inventory (their files in .np/secrets). */
const TOKENS = [
  "consul-management",
  ...["node1", "node2", "node3", "node4"].flatMap((n) => [`consul-agent-${n}`, `consul-np-agent-${n}`]),
  "consul-nomad-server",
  "consul-nomad-client",
  "consul-traefik",
  "consul-service-traefik",
  "consul-service-openobserve",
  "nomad-management",
  "nomad-apps",
  "nomad-np-agent-node4",
];

describe.skipIf(skipReason !== null)(
  "certificate, gossip key and token lifecycle: expiry warned, leaves renewed by a reload, the gossip key and the ACL tokens rotated live",
  { timeout: 600_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-rot-"));
    // This file's own artifact cache (e2e files run side by side, each with its own mirror).
    process.env.NP_CACHE_DIR = path.join(work, "cache");
    const invFile = path.join(work, "inventory.yaml");
    const secretFile = (name: string) => path.join(work, ".np", "secrets", name);
    const secret = (name: string) => readFileSync(secretFile(name), "utf8").trim();
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });
    /** Runs a script on a node (values as "$1"…, never spliced into the text); it must succeed. */
    const sh = (name: string, script: string, ...args: string[]) => {
      const r = onNode(name, ["sh", "-c", script, "sh", ...args]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    /** The management token is "$1" (an argument, never in np's output). */
    const withToken = (name: string, script: string) => sh(name, script, secret("consul-management"));
    const np = (args: string[]) => runNpAsync([...args, "-i", invFile], { timeoutMs: 900_000 });
    /** np status once the cluster reads healthy (checks settle after a start or a reload; a loaded machine is slow). */
    const healthyStatus = async (args: string[] = []) => {
      let s = await np(["status", ...args]);
      for (let i = 0; i < 60 && s.code !== 0; i++) {
        await wait(2000);
        s = await np(["status", ...args]);
      }
      expect(s.code, s.stdout + s.stderr).toBe(0);
      return s;
    };
    const consulPid = (name: string) => sh(name, "systemctl show -p MainPID --value consul.service");
    /** SHA-256 fingerprint (openssl's "AA:BB:…") of what Consul's HTTPS API serves on the node itself. */
    const servedFingerprint = (name: string) =>
      sh(
        name,
        "openssl s_client -connect 127.0.0.1:8501 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256",
      ).replace(/^.*Fingerprint=/i, "");
    const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;
    const aliveMembers = (name: string) =>
      withToken(name, 'CONSUL_HTTP_TOKEN="$1" consul members')
        .split("\n")
        .filter((l) => /\salive\s/.test(l)).length;
    const snapshot = (name: string) =>
      sh(
        name,
        "find /etc/consul.d /etc/nomad.d /etc/traefik /etc/openobserve /etc/np-agent /etc/systemd/system -maxdepth 2 -type f -printf '%p %T@\\n' 2>/dev/null | sort; " +
          `systemctl show -p MainPID --value ${UNITS[name]?.map((u) => `${u}.service`).join(" ")}`,
      );

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: NODES.length, subnet: SUBNET }, work);
      sbx = site.sbx;
      writeFileSync(
        invFile,
        stringify({
          cluster: { name: "rot", datacenter: "dc1" },
          ...site.reach,
          hosts: [
            { name: "node1", address: addr("node1"), roles: ["server"] },
            { name: "node2", address: addr("node2"), roles: ["server"] },
            { name: "node3", address: addr("node3"), roles: ["server", "observe"] },
            { name: "node4", address: addr("node4"), roles: ["client", "edge"] },
          ],
        }),
      );
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("a fresh np up, and np status says nothing of certificates", async () => {
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const s = await healthyStatus();
      expect(s.stdout + s.stderr).not.toMatch(/certificate/);
      expect(servedFingerprint("node2")).toBe(fingerprintOf(secret("consul-server-node2.crt")));
    });

    it("a server certificate 10 days from its end: np status names it and its host, the verdict stays", async () => {
      // Issued by the cluster CA (its key in .np/secrets) for node2, as np would, but living 10 days; installed
      // in place of node2's own and loaded by Consul, so it is also what node2 serves.
      const ca = { certPem: secret("cluster-ca.crt"), keyPem: secret("cluster-ca.key") };
      const profile = consulServerProfile("dc1", { name: "node2", privateAddress: addr("node2") });
      const short = await issueLeaf(ca, { ...profile, validityDays: 10 });
      sh(
        "node2",
        'printf "%s\\n" "$1" > "$3" && printf "%s\\n" "$2" > "$4"',
        short.certPem,
        short.keyPem,
        TLS.cert,
        TLS.key,
      );
      sh("node2", "systemctl reload consul.service");
      await expect
        .poll(() => servedFingerprint("node2"), { timeout: 30_000 })
        .toBe(fingerprintOf(short.certPem));
      const end = new Date(new X509Certificate(short.certPem).validTo).toISOString().slice(0, 10);
      // A warning does not change the verdict: exit 0, the line on stderr.
      const s = await healthyStatus();
      expect(s.stderr).toMatch(
        new RegExp(
          `node2: certificate ${TLS.cert} \\(consul-server-node2, CN server\\.dc1\\.consul\\) expires on ${end} \\(in (9|10) days\\): \`np up\` renews it`,
        ),
      );
      // Only that one: the others are a year (leaves) and ten years (the CA) away.
      expect(s.stderr.match(/certificate /g)).toHaveLength(1);
      const json = JSON.parse((await healthyStatus(["--json"])).stdout) as {
        warnings: string[];
        certificates: { host: string | null; path: string; state: string }[];
      };
      expect(json.certificates.filter((c) => c.state !== "ok")).toEqual([
        expect.objectContaining({ host: "node2", path: TLS.cert, state: "expiring" }),
      ]);
      expect(json.certificates.filter((c) => c.host === null).map((c) => c.state)).not.toContain("expiring");
    });

    it("np up renews it with a reload: Consul's PID unchanged, the new certificate served", async () => {
      const pid = consulPid("node2");
      const others = ["node1", "node3", "node4"].map(consulPid);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^node2: reloading consul$/m);
      expect(r.stdout).not.toMatch(/restarting consul/);
      expect(consulPid("node2")).toBe(pid);
      expect(["node1", "node3", "node4"].map(consulPid)).toEqual(others);
      const want = secret("consul-server-node2.crt");
      expect(sh("node2", 'cat "$1"', TLS.cert)).toBe(want);
      expect(servedFingerprint("node2")).toBe(fingerprintOf(want));
      expect(new Date(new X509Certificate(want).validTo).getTime()).toBeGreaterThan(
        Date.now() + 300 * 86_400_000,
      );
      const s = await healthyStatus();
      expect(s.stderr).not.toMatch(/certificate/);
    });

    const nomadPid = (name: string) => sh(name, "systemctl show -p MainPID --value nomad.service");
    const NOMAD_SERVERS = ["node1", "node2", "node3"];
    /** A Nomad API answer (JSON) on a server, asked there with np's management token ("$1") and its agent cert. */
    const nomadGet = <T>(name: string, p: string): T =>
      JSON.parse(
        sh(
          name,
          nomadCurl(addr(name), p, `${NOMAD_AGENT_CERT} -f -H "X-Nomad-Token: $1"`),
          secret("nomad-management"),
        ),
      ) as T;

    it("np rotate gossip: every member alive, only the new key in both keyrings, consul.hcl and nomad.hcl have it", async () => {
      const old = secret("consul-gossip");
      const oldNomad = secret("nomad-gossip");
      const pids = NODES.map(consulPid);
      const nomadPids = NODES.map(nomadPid);
      const r = await np(["rotate", "gossip"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const next = secret("consul-gossip");
      expect(next).not.toBe(old);
      const nextNomad = secret("nomad-gossip");
      expect(nextNomad).not.toBe(oldNomad);
      expect(nextNomad).not.toBe(next);
      // Nomad's servers' pool, on its own: reported by the server that answered, and for each server.
      expect(r.stdout).toMatch(/^node\d: nomad keyring: installed the new key /m);
      expect(r.stdout).toMatch(
        /^node\d: nomad keyring: removed 1 old key; servers: only the new key, on all 3 members$/m,
      );
      for (const n of NOMAD_SERVERS)
        expect(r.stdout, n).toMatch(new RegExp(`^${n}: nomad gossip key replaced`, "m"));
      expect(r.stdout).not.toMatch(/^node4: nomad gossip key/m); // a Nomad client does not gossip
      expect(r.stdout + r.stderr).not.toContain(nextNomad);
      // Live: no Nomad agent restarted; on every server the keyring lists only the new key, on all 3 servers.
      expect(NODES.map(nomadPid)).toEqual(nomadPids);
      for (const n of NOMAD_SERVERS) {
        const list = nomadGet<{ Keys: Record<string, number>; NumNodes: number }>(
          n,
          "/v1/agent/keyring/list",
        );
        expect(list, n).toEqual(expect.objectContaining({ Keys: { [nextNomad]: 3 }, NumNodes: 3 }));
        const members = nomadGet<{ Members: { Status: string }[] }>(n, "/v1/agent/members").Members;
        expect(
          members.map((m) => m.Status),
          n,
        ).toEqual(["alive", "alive", "alive"]);
        // its keyring file (data_dir/server/serf.keyring) holds only the new key: a restart keeps it
        expect(JSON.parse(sh(n, "cat /var/lib/nomad/server/serf.keyring")), n).toEqual([nextNomad]);
        // nomad.hcl has the new key for a server started later (its keyring file wins over it meanwhile)
        expect(sh(n, 'grep -c -F -- "$1" /etc/nomad.d/nomad.hcl', nextNomad), n).toBe("1");
        expect(sh(n, 'grep -c -F -- "$1" /etc/nomad.d/nomad.hcl || true', oldNomad), n).toBe("0");
      }
      expect(r.stdout).toMatch(/^node1: consul keyring: installed the new key /m);
      expect(r.stdout).toMatch(/removed 1 old key/);
      for (const n of NODES)
        expect(r.stdout, n).toMatch(new RegExp(`^${n}: consul gossip key replaced`, "m"));
      expect(r.stdout + r.stderr).not.toContain(next);
      // Live: nothing restarted; every member alive; `consul keyring -list` (on a server) shows the new key only.
      expect(NODES.map(consulPid)).toEqual(pids);
      expect(aliveMembers("node4")).toBe(4);
      const list = withToken("node1", 'CONSUL_HTTP_TOKEN="$1" consul keyring -list');
      expect(list).toContain(next);
      expect(list).not.toContain(old);
      expect(list.match(/^\s+\S+ \[\d+\/\d+\]$/gm)).toHaveLength(2); // one key in the LAN pool, one in WAN
      for (const n of NODES) expect(sh(n, 'grep -c -F -- "$1" /etc/consul.d/consul.hcl', next), n).toBe("1");
      // A restart still works: node4's Consul comes back into the pool.
      sh("node4", "systemctl restart consul.service");
      await expect.poll(() => aliveMembers("node1"), { timeout: 60_000, interval: 2000 }).toBe(4);
    });

    it("np rotate gossip cut (SIGKILL) in Nomad's part: the next run finishes Nomad's alone, Consul's stays", async () => {
      const consulKey = secret("consul-gossip");
      const pids = NODES.map(nomadPid);
      const cut = await cutRotation("nomad keyring: every member encrypts with the new key", "gossip");
      expect(cut.code, cut.out).toBeNull();
      expect(cut.out).toMatch(/consul keyring: removed 1 old key/);
      // Consul's finished (forgotten), Nomad's under way; the key Nomad's servers encrypt with is the saved one.
      expect([...new Set(underWay())], cut.out).toEqual(["nomad-gossip"]);
      const pending = existsSync(secretFile("rotating/nomad-gossip"))
        ? secret("rotating/nomad-gossip")
        : secret("nomad-gossip");
      const newConsul = secret("consul-gossip");
      expect(newConsul).not.toBe(consulKey);
      const r = await np(["rotate", "gossip"]);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(0);
      expect(out).toMatch(/a gossip rotation is under way: going on from where it stopped/);
      expect(out).toMatch(/consul gossip key: rotated already by the interrupted run/);
      expect(out).not.toMatch(/consul keyring: installed/);
      expect(secret("consul-gossip")).toBe(newConsul);
      expect(secret("nomad-gossip")).toBe(pending);
      expect(rotationFiles()).toEqual([]);
      for (const n of NOMAD_SERVERS) {
        const list = nomadGet<{ Keys: Record<string, number>; NumNodes: number }>(
          n,
          "/v1/agent/keyring/list",
        );
        expect(list, n).toEqual(expect.objectContaining({ Keys: { [pending]: 3 }, NumNodes: 3 }));
      }
      expect(NODES.map(nomadPid)).toEqual(pids);
      await healthyStatus();
    });

    const upChangesNothing = async () => {
      const before = NODES.map(snapshot);
      const r = await np(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/is up to date: nothing changed/);
      expect(NODES.map(snapshot)).toEqual(before);
    };

    it("a second np up changes nothing", upChangesNothing);

    it("np rotate ca: a new CA, trusted beside the old one during the change; reloads only", async () => {
      const oldCa = secret("cluster-ca.crt");
      const pids = NODES.map(consulPid);
      const r = await np(["rotate", "ca"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/CA rotation 1\/3.*\n[\s\S]*CA rotation 2\/3[\s\S]*CA rotation 3\/3/);
      const ca = secret("cluster-ca.crt");
      expect(ca).not.toBe(oldCa);
      const caCert = new X509Certificate(ca);
      for (const f of ["cluster-ca-next.crt", "cluster-ca-next.key", "cluster-ca-trusted.crt", "ca-rotation"])
        expect(existsSync(secretFile(f)), f).toBe(false);
      for (const n of NODES) expect(sh(n, "cat /etc/consul.d/tls/ca.pem"), n).toBe(ca);
      for (const n of ["node1", "node2", "node3"]) {
        const leaf = secret(`consul-server-${n}.crt`);
        expect(new X509Certificate(leaf).verify(caCert.publicKey), n).toBe(true);
        expect(servedFingerprint(n), n).toBe(fingerprintOf(leaf));
      }
      expect(NODES.map(consulPid)).toEqual(pids);
      expect(aliveMembers("node1")).toBe(4);
      // A client agent that starts now checks the servers against the new CA and gets its certificate (auto_encrypt).
      sh("node4", "systemctl restart consul.service");
      await expect.poll(() => aliveMembers("node1"), { timeout: 60_000, interval: 2000 }).toBe(4);
      await healthyStatus();
    });

    it("after the CA rotation np up still changes nothing", upChangesNothing);

    /** The HTTP status a token gets from Consul (node1's loopback API) and from Nomad (node1, a server). */
    const consulStatus = (token: string) =>
      sh(
        "node1",
        `curl -s -o /dev/null -w '%{http_code}' -H "X-Consul-Token: $1" http://127.0.0.1:8500/v1/acl/token/self`,
        token,
      );
    const nomadStatus = (token: string) =>
      sh(
        "node1",
        nomadCurl(
          addr("node1"),
          "/v1/acl/token/self",
          `${NOMAD_AGENT_CERT} -o /dev/null -w '%{http_code}' -H "X-Nomad-Token: $1"`,
        ),
        token,
      );
    const statusOf = (name: string, token: string) =>
      name.startsWith("nomad-") ? nomadStatus(token) : consulStatus(token);
    /** Every file in .np/secrets' rotation folders, np's temporary files included. */
    const rotationFiles = () =>
      ["rotating", "retiring"].flatMap((d) => (existsSync(secretFile(d)) ? readdirSync(secretFile(d)) : []));
    /**
     * The secrets of a rotation under way. A SIGKILL can land while np writes one, leaving its temporary
     * `.<name>.tmp-<pid>-<hex>` (seen in CI); it is no value of the rotation, and the next run removes it.
     */
    const underWay = () => rotationFiles().filter((f) => !/\.tmp-\d+/.test(f));

    it("np rotate tokens: new tokens everywhere, every old one refused by the cluster, every member alive", async () => {
      const old = new Map(TOKENS.map((t) => [t, secret(t)]));
      for (const [t, v] of old) expect(statusOf(t, v), t).toBe("200");
      const pids = NODES.map(consulPid);
      const r = await np(["rotate", "tokens"]);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(0);
      for (const t of TOKENS) {
        const next = secret(t);
        expect(next, t).not.toBe(old.get(t));
        // Never in np's output, the old nor the new.
        expect(out).not.toContain(next);
        expect(out).not.toContain(old.get(t));
        expect(r.stdout, t).toMatch(
          new RegExp(`^node1: (consul|nomad) token ${t}: made the new one beside the old$`, "m"),
        );
        expect(r.stdout, t).toMatch(
          new RegExp(`^node1: (consul|nomad) token ${t}: deleted the old one$`, "m"),
        );
      }
      // Nothing of the rotation is left under way in .np/secrets.
      expect(underWay()).toEqual([]);
      // Per host, what it was given; np's own tokens are on no host.
      expect(r.stdout).toMatch(
        /^node4: holds its new tokens: .*consul-agent-node4.*consul-traefik.*nomad-np-agent-node4/m,
      );
      expect(r.stdout).toMatch(
        /np's own new tokens, in \.np\/secrets only: consul-management, nomad-management, nomad-apps/,
      );
      // Consul took its new tokens on a reload (same PIDs); Nomad and Traefik restarted, servers one at a time.
      expect(NODES.map(consulPid)).toEqual(pids);
      expect(r.stdout).toMatch(/^node1: reloading consul$/m);
      expect(r.stdout).toMatch(/^node4: restarting traefik$/m);
      // Asserted on the cluster, not through np: every old token refused, every new one accepted.
      for (const t of TOKENS) {
        expect(statusOf(t, old.get(t) as string), `old ${t}`).toBe("403");
        expect(statusOf(t, secret(t)), `new ${t}`).toBe("200");
      }
      // Every member alive, and each agent writes with its new token: np-agent's KV summaries stay fresh.
      await expect.poll(() => aliveMembers("node4"), { timeout: 60_000, interval: 2000 }).toBe(4);
      await healthyStatus();
    });

    /** Starts `np rotate tokens` and kills it (SIGKILL: a cut, no clean-up) as soon as its output mentions `trigger`. */
    const cutRotation = (trigger: string, rotation: "tokens" | "gossip" = "tokens") =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [npBin, "rotate", rotation, "-i", invFile], {
          env: { ...process.env, NO_COLOR: "1" },
        });
        let out = "";
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes(trigger)) child.kill("SIGKILL");
        });
        child.stderr.on("data", (c: Buffer) => {
          out += c.toString();
        });
        child.on("exit", (code) => resolve({ code, out }));
      });

    it("np rotate tokens cut (SIGKILL) after the switch: both tokens work meanwhile; the next run goes on and finishes", async () => {
      const old = new Map(TOKENS.map((t) => [t, secret(t)]));
      const cut = await cutRotation("/etc/nomad.d/nomad.hcl");
      expect(cut.code, cut.out).toBeNull();
      // Cut after the switch: .np/secrets holds the new tokens and keeps the old ones; the cluster accepts both.
      expect(underWay().length, cut.out).toBeGreaterThan(0);
      for (const t of TOKENS) {
        expect(secret(t), t).not.toBe(old.get(t));
        expect(statusOf(t, old.get(t) as string), `old ${t}`).toBe("200");
        expect(statusOf(t, secret(t)), `new ${t}`).toBe("200");
      }
      // The next run goes on (a Nomad server the cut left restarting may first need a moment to rejoin).
      let r = await np(["rotate", "tokens"]);
      for (let i = 0; i < 10 && r.code !== 0 && /not rotating/.test(r.stderr); i++) {
        await wait(5000);
        r = await np(["rotate", "tokens"]);
      }
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/a tokens rotation is under way: going on from where it stopped/);
      expect(rotationFiles()).toEqual([]);
      for (const t of TOKENS) {
        expect(statusOf(t, old.get(t) as string), `old ${t}`).toBe("403");
        expect(statusOf(t, secret(t)), `new ${t}`).toBe("200");
      }
      await expect.poll(() => aliveMembers("node4"), { timeout: 60_000, interval: 2000 }).toBe(4);
      await healthyStatus();
    });

    /** GET through the edge (node4's Traefik on :80) with the app's host name, as a visitor would. */
    const visit = (p = "/") => visitEdge(addr("node4"), HOST, p);

    it("after the token rotation: np nodes reads fresh agents, np deploy works and Traefik routes the app", async () => {
      // np-agent reports into Consul KV with its new Consul token, and reads node4's allocations with its Nomad one.
      let nodes = await np(["nodes", "--json"]);
      const fresh = () =>
        nodes.code === 0 &&
        (JSON.parse(nodes.stdout) as { nodes: { agent: string }[] }).nodes.every((n) => n.agent === "fresh");
      for (let i = 0; i < 30 && !fresh(); i++) {
        await wait(2000);
        nodes = await np(["nodes", "--json"]);
      }
      expect(fresh(), nodes.stdout + nodes.stderr).toBe(true);
      const app = path.join(work, "np.yaml");
      writeFileSync(app, APP_YAML);
      const d = await np(["deploy", "-f", app]);
      expect(d.code, d.stdout + d.stderr).toBe(0);
      expect(d.stdout).toMatch(/^hello: deployed version 0: 1 of 1 instances healthy$/m);
      // Traefik reads the catalog with its new Consul token: it routes the app Nomad registered with its new one.
      let seen = await visit("/");
      for (let i = 0; i < 60 && seen.status !== 200; i++) {
        await wait(1000);
        seen = await visit("/");
      }
      expect(seen).toEqual({ status: 200, body: "hello v1" });
      const st = await np(["status", "hello"]);
      expect(st.code, st.stdout + st.stderr).toBe(0);
      await np(["stop", "hello", "--purge"]);
    });

    it("after the token rotation np up changes nothing", upChangesNothing);
  },
);
