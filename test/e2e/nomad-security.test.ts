// End to end: a fresh np up secures Nomad (the Nomad double, NOT Nomad, with the tls and acl blocks np renders):
// HTTPS only with client certificates of the cluster CA, ACLs bootstrapped once, np's own tokens for np status,
// np nodes (np-agent's token) and np deploy (the app commands' token). Asserted with curl on the nodes.
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { visitEdge } from "../helpers/edge-visit.js";
import { NOMAD_AGENT_CERT, nomadCurl } from "../helpers/nomad-curl.js";
import { runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { sandboxAppYaml } from "../helpers/sandbox-app.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-nms";
const SUBNET = "10.213.34.0/24";
const HOST = "hello.nms.test";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/nomad-security.test.ts: ${skipReason}`);

const EXPECTED: Record<string, string[]> = {
  node1: ["consul", "nomad", "traefik", "np-agent"],
  node2: ["consul", "nomad", "np-agent"],
  node3: ["consul", "nomad", "openobserve", "np-agent"],
};
const NODES = Object.keys(EXPECTED);
const CLIENTS = ["node1", "node2"];
const wait = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** A tiny app (the contract tests' /health app), run by the Node.js runtime np installs on every host. */
const APP_YAML = sandboxAppYaml({ host: HOST, count: 2, healthyDeadline: "10s", progressDeadline: "30s" });

describe.skipIf(skipReason !== null)(
  "a fresh np up secures Nomad: HTTPS with client certificates, ACLs, np's tokens (asserted on the nodes)",
  { timeout: 300_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-nms-"));
    // This file's own artifact cache: every e2e file builds its own mirror, and files run side by side.
    process.env.NP_CACHE_DIR = path.join(work, "cache");
    const invFile = path.join(work, "inventory.yaml");
    const secretsDir = path.join(work, ".np", "secrets");
    const secret = (name: string) => readFileSync(path.join(secretsDir, name), "utf8").trim();
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });
    const sh = (name: string, script: string) => {
      const r = onNode(name, ["sh", "-c", script]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    /** Runs a script with a Nomad token in $1 (an argument: never in a script text nor in np's output). */
    const withToken = (name: string, token: string, script: string) => {
      const r = onNode(name, ["sh", "-c", script, "sh", token]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    const np = (args: string[]) => runNpAsync([...args, "-i", invFile], { cwd: work, timeoutMs: 600_000 });
    const outputs: string[] = [];
    /** np's output, kept to be checked for secrets once they all exist. */
    const npKept = async (args: string[]) => {
      const r = await np(args);
      outputs.push(r.stdout + r.stderr);
      return r;
    };
    const expectNoSecret = (text: string) => {
      for (const f of readdirSync(secretsDir)) {
        // A certificate is public; its key, the tokens and the passwords are not.
        if (!f.endsWith(".crt")) expect(text.includes(secret(f)), `${f} appears in np's output`).toBe(false);
      }
    };
    /** Files np manages on a node (with their times) and its units' PIDs: a second np up must change neither. */
    const fingerprint = (name: string) =>
      sh(
        name,
        "find /etc/consul.d /etc/nomad.d /etc/traefik /etc/openobserve /etc/np-agent /etc/systemd/system -maxdepth 2 -type f -newer /etc/hostname -printf '%p %T@\\n' 2>/dev/null | sort; " +
          `systemctl show -p MainPID --value ${EXPECTED[name]?.map((u) => `${u}.service`).join(" ")}`,
      );
    /** Nomad's ACL tokens as the management token lists them (AccessorID and Name). */
    const aclTokens = () =>
      (
        JSON.parse(
          withToken(
            "node1",
            secret("nomad-management"),
            nomadCurl(addr("node1"), "/v1/acl/tokens", `${NOMAD_AGENT_CERT} -H "X-Nomad-Token: $1"`),
          ),
        ) as { AccessorID: string; Name: string }[]
      )
        .map((t) => `${t.AccessorID} ${t.Name}`)
        .toSorted();
    /** GET through the edge (node1's Traefik on :80) with the app's host name, as a visitor would. */
    const visit = (p = "/") => visitEdge(addr("node1"), HOST, p);

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: 3, subnet: SUBNET }, work);
      sbx = site.sbx;
      writeFileSync(
        invFile,
        stringify({
          cluster: { name: "nms", datacenter: "dc1" },
          ...site.reach,
          hosts: [
            { name: "node1", address: addr("node1"), roles: ["server", "client", "edge"] },
            { name: "node2", address: addr("node2"), roles: ["server", "client"] },
            { name: "node3", address: addr("node3"), roles: ["server", "observe"] },
          ],
        }),
      );
      writeFileSync(path.join(work, "np.yaml"), APP_YAML);
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("np plan, then np up on bare hosts: Nomad's ACLs bootstrapped once, np's Nomad tokens in .np/secrets", async () => {
      const plan = await npKept(["plan"]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      const r = await npKept(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(
        /Nomad's ACLs are bootstrapped: the management token is in \.np\/secrets\/nomad-management/,
      );
      const files = readdirSync(secretsDir);
      for (const f of [
        "nomad-management",
        "nomad-apps",
        "nomad-np-agent-node1",
        "nomad-np-agent-node2",
        "np-operator.key",
        "nomad-server-node1.key",
        "np-agent-node2.key",
      ])
        expect(files).toContain(f);
      // No np-agent token for node3: it runs no Nomad client, so its agent reads no allocations.
      expect(files).not.toContain("nomad-np-agent-node3");
      for (const f of files)
        expect((statSync(path.join(secretsDir, f)).mode & 0o777).toString(8), f).toBe("600");
      for (const n of NODES) {
        const states = onNode(n, [
          "systemctl",
          "is-active",
          ...(EXPECTED[n] ?? []).map((u) => `${u}.service`),
        ]);
        expect(states.stdout.trim().split("\n"), n).toEqual((EXPECTED[n] ?? []).map(() => "active"));
      }
    });

    it("Nomad's API refuses plain HTTP, HTTPS without a client certificate, and a request without a token", async () => {
      const server = addr("node1");
      for (const from of ["node2", "node3"]) {
        // Go's answer to plain HTTP on a TLS port.
        expect(sh(from, `curl -s -m 10 -w ' %{http_code}' http://${server}:4646/v1/jobs`), from).toBe(
          "Client sent an HTTP request to an HTTPS server.\n 400",
        );
        // verify_https_client: the handshake fails without a certificate (curl 35/56: TLS alert, no answer).
        const noCert = onNode(from, ["sh", "-c", nomadCurl(server, "/v1/jobs", "")]);
        expect([35, 56], `${from}: curl exit ${noCert.code} ${noCert.stdout}`).toContain(noCert.code);
        expect(noCert.stdout).toBe("");
        // A certificate of the CA but no token: the anonymous token may not list jobs.
        expect(sh(from, nomadCurl(server, "/v1/jobs", `${NOMAD_AGENT_CERT} -w ' %{http_code}'`)), from).toBe(
          "Permission denied 403",
        );
      }
      // Nor may it read the operator's endpoints or the ACL tokens.
      for (const p of ["/v1/operator/raft/configuration", "/v1/acl/tokens"])
        expect(sh("node2", nomadCurl(server, p, `${NOMAD_AGENT_CERT} -w ' %{http_code}'`)), p).toBe(
          "Permission denied 403",
        );
      // With the management token the same request is answered: the assertions above can fail.
      expect(
        withToken(
          "node2",
          secret("nomad-management"),
          nomadCurl(server, "/v1/jobs", `${NOMAD_AGENT_CERT} -H "X-Nomad-Token: $1"`),
        ),
      ).toBe("[]");
      // Nomad's own RPC port refuses a plain connection too (mutual TLS between agents).
      const rpc = onNode("node2", ["sh", "-c", `curl -s -m 5 http://${server}:4647/`]);
      expect(rpc.code, rpc.stdout).not.toBe(0);
    });

    it("the files holding Nomad's keys and tokens are readable by the service that reads them only", async () => {
      for (const n of NODES)
        expect(
          sh(n, "stat -c '%a %U:%G' /etc/nomad.d/nomad.hcl /etc/nomad.d/tls/agent-key.pem /etc/nomad.d/tls"),
          n,
        ).toBe("600 root:root\n600 root:root\n700 root:root");
      for (const n of CLIENTS) {
        expect(
          sh(n, "stat -c '%a %U:%G' /etc/np-agent/config.json /etc/np-agent/nomad-client-key.pem"),
          n,
        ).toBe("640 root:np-agent\n640 root:np-agent");
        // np-agent's config holds its own read-only token, not np's.
        const cfg = JSON.parse(sh(n, "cat /etc/np-agent/config.json")) as { nomad: Record<string, unknown> };
        expect(cfg.nomad).toMatchObject({
          address: `https://${addr(n)}:4646`,
          token: secret(`nomad-np-agent-${n}`),
          tls: { certFile: "/etc/np-agent/nomad-client.pem" },
        });
        expect(sh(n, "cat /etc/np-agent/config.json /etc/nomad.d/nomad.hcl")).not.toContain(
          secret("nomad-management"),
        );
      }
      // node3 runs a Nomad server only: its agent reads no allocations, so holds no Nomad token.
      const cfg3 = JSON.parse(sh("node3", "cat /etc/np-agent/config.json")) as { nomad: { token: unknown } };
      expect(cfg3.nomad.token).toBeNull();
    });

    it("np status reads Nomad's quorum with np's token; np nodes shows every agent fresh", async () => {
      let r = await npKept(["status"]);
      for (let i = 0; i < 60 && r.code !== 0; i++) {
        await wait(2000);
        r = await npKept(["status"]);
      }
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Nomad: leader \S+, 3 voters, failure tolerance 1, healthy$/m);
      let nodes = await npKept(["nodes", "--json"]);
      for (let i = 0; i < 30 && nodes.code !== 0; i++) {
        await wait(2000);
        nodes = await npKept(["nodes", "--json"]);
      }
      expect(nodes.code, nodes.stdout + nodes.stderr).toBe(0);
      const list = (JSON.parse(nodes.stdout) as { nodes: { name: string; agent: string }[] }).nodes;
      expect(list.map((n) => [n.name, n.agent])).toEqual(NODES.map((n) => [n, "fresh"]));
    });

    it("np deploy runs an app with the app commands' token; np-agent reads its allocations with its own", async () => {
      const r = await npKept(["deploy"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^hello: deployed version 0: 2 of 2 instances healthy$/m);
      let seen = await visit("/");
      for (let i = 0; i < 30 && seen.status !== 200; i++) {
        await wait(1000);
        seen = await visit("/");
      }
      expect(seen).toEqual({ status: 200, body: "hello v1" });
      // Nomad registered the app's instances in Consul with its own Consul token (no workload identity).
      const consul = JSON.parse(
        withToken(
          "node1",
          secret("consul-management"),
          'curl -sf -H "X-Consul-Token: $1" http://127.0.0.1:8500/v1/catalog/service/hello',
        ),
      ) as unknown[];
      expect(consul).toHaveLength(2);
      // The agents on the clients count the allocations they read with their token (null if Nomad refused it).
      type Row = { name: string; summary: { allocations: number | null; problems: string[] } | null };
      let rows: Row[] = [];
      const counted = () => rows.reduce((s, x) => s + (x.summary?.allocations ?? 0), 0);
      for (let i = 0; i < 30 && counted() !== 2; i++) {
        if (i > 0) await wait(2000);
        const n = await np(["nodes", "--json"]);
        rows =
          n.code === 0
            ? (JSON.parse(n.stdout) as { nodes: Row[] }).nodes.filter((x) => CLIENTS.includes(x.name))
            : [];
      }
      expect(counted(), JSON.stringify(rows)).toBe(2);
      for (const row of rows)
        expect(
          row.summary?.problems.filter((p) => /nomad/.test(p)),
          row.name,
        ).toEqual([]);
      // The app token cannot do what only np up may: read or write Nomad's ACLs.
      expect(
        withToken(
          "node2",
          secret("nomad-apps"),
          nomadCurl(
            addr("node1"),
            "/v1/acl/tokens",
            `${NOMAD_AGENT_CERT} -H "X-Nomad-Token: $1" -w ' %{http_code}'`,
          ),
        ),
      ).toBe("Permission denied 403");
    });

    it("a second np up changes nothing: no file written, no unit restarted, no Nomad token made", async () => {
      const before = NODES.map(fingerprint);
      const tokens = aclTokens();
      const secrets = readdirSync(secretsDir).map((f) => `${f} ${secret(f)}`);
      const r = await npKept(["up"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/is up to date: nothing changed/);
      expect(NODES.map(fingerprint)).toEqual(before);
      expect(aclTokens()).toEqual(tokens);
      expect(readdirSync(secretsDir).map((f) => `${f} ${secret(f)}`)).toEqual(secrets);
      const plan = await npKept(["plan"]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    });

    it("no secret appears in anything np printed", () => {
      expect(outputs.length).toBeGreaterThan(5);
      for (const out of outputs) expectNoSecret(out);
    });
  },
);
