// End to end: a cluster made by an EARLIER np (main before TLS and ACLs, built here from this repository's own git
// history: Consul gossip-only, Nomad plain, no ACLs) runs an app behind two edges; the current np's `np plan` lists
// the migration's steps (Consul's and Nomad's), then `np up` moves the cluster to TLS and ACLs while a visitor
// requests the app through the edges, `np status` runs in a loop and Consul's and Nomad's autopilot health are
// sampled on the servers; the first `np up` is cut off (Ctrl-C) in Nomad's first step and a second goes on.
// Afterwards Consul and Nomad are the fresh cluster's: anonymous reads denied, plain RPC and plain HTTP refused,
// np deploy and np status work with np's tokens, and a second `np up` changes nothing.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { consulMissing } from "../helpers/consul-binary.js";
import { visitEdge } from "../helpers/edge-visit.js";
import { NOMAD_AGENT_CERT, nomadCurl, nomadCurlAsNp } from "../helpers/nomad-curl.js";
import { type QuorumReading, QuorumSampler } from "../helpers/quorum-sampler.js";
import { collectOutput, type NpResult, nodeBin, npBin, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, sshToNodeAsync, type TestSandbox } from "../helpers/sandbox.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-mig";
const SUBNET = "10.213.36.0/24";
/** main just before Consul's TLS and ACLs: the np whose clusters the migration is for. */
const EARLIER_NP = "04ddce3";
const HOST = "hello.mig.test";
const SERVERS = ["node1", "node2", "node3"];
const EDGES = ["node4", "node5"];
const NODES = [...SERVERS, ...EDGES];
/** The migration's steps, in order: Consul's up to ACLs that allow, Nomad's, Consul's deny. */
const STEPS = [
  "consul tls-accept",
  "consul tls-outgoing",
  "consul acl-allow",
  "nomad tls-upgrade",
  "nomad tls",
  "nomad secure",
  "consul secure",
];
/** Steps where a host's file does not change: Consul clients while servers only accept TLS; Nomad clients at "tls". */
const UNCHANGED = new Set([
  "consul tls-accept node4",
  "consul tls-accept node5",
  "nomad tls node4",
  "nomad tls node5",
]);

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/migrate.test.ts: ${skipReason}`);

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A reading from /v1/status/leader's and /v1/operator/autopilot/health's answers (Consul's and Nomad's alike). */
function quorumReading(leader: string, health: string): QuorumReading {
  const h = JSON.parse(health) as {
    Servers: { Name: string; Leader: boolean; Healthy: boolean; Voter: boolean }[];
  };
  return {
    leader: JSON.parse(leader) as string,
    servers: h.Servers.map((x) => ({ name: x.Name, leader: x.Leader, healthy: x.Healthy, voter: x.Voter })),
  };
}

/**
 * The app: "hello <VERSION>", /health answers ok. It writes nothing to stdout or stderr: the Nomad double pipes a
 * task's output into its own process, so a task that writes after the double's restart dies of the broken pipe,
 * where real Nomad's log shipper (logmon) outlives a client restart and its tasks keep running.
 */
const APP = [
  'require("http").createServer((q,s)=>s.end(q.url==="/health"?"ok":"hello "+process.env.VERSION))',
  ".listen(+process.env.NOMAD_PORT_http,process.env.NOMAD_IP_http);",
  'process.on("SIGINT",()=>process.exit(0))',
].join("");

/**
 * The earlier np, built from this repository's history into `dir`: its sources by `git archive` (what that commit
 * holds, nothing of the work tree), this checkout's node_modules (that commit's dependencies are a subset of
 * today's, same versions), and its own `npm run build`. Returns its entry point.
 */
function buildEarlierNp(dir: string): string {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const run = (cmd: string, args: string[], cwd = root) => {
    const r = spawnSync(cmd, args, {
      cwd,
      encoding: "utf8",
      timeout: 300_000,
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
    });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.error?.message}`);
  };
  run("sh", ["-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "sh", root, EARLIER_NP, dir]);
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  run("npm", ["run", "build"], dir);
  return path.join(dir, "dist", "cli", "main.js");
}

describe.skipIf(skipReason !== null)(
  "a cluster of an earlier np migrated to Consul and Nomad TLS and ACLs by np up, with no request lost",
  { timeout: 300_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    let earlierNp: string;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-mig-"));
    process.env.NP_CACHE_DIR = path.join(work, "cache");
    const invFile = path.join(work, "inventory.yaml");
    const tokenFile = path.join(work, ".np", "secrets", "consul-management");
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const onNode = (name: string, argv: string[]) => sshToNode(addr(name), argv, { keyFile: sbx.keyFile });
    const sh = (name: string, script: string, ...args: string[]) => {
      const r = onNode(name, ["sh", "-c", script, "sh", ...args]);
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    const np = (args: string[], opts: { bin?: string; env?: Record<string, string> } = {}) =>
      runNpAsync([...args, "-i", invFile], { cwd: work, timeoutMs: 1_200_000, ...opts });
    const management = () => (existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : "");
    const nomadTokenFile = path.join(work, ".np", "secrets", "nomad-management");
    const nomadManagement = () =>
      existsSync(nomadTokenFile) ? readFileSync(nomadTokenFile, "utf8").trim() : "";
    const configHashes = () =>
      NODES.map((n) => sh(n, "sha256sum /etc/consul.d/consul.hcl /etc/nomad.d/nomad.hcl"));
    /** Files np manages on a node (with their times) and its units' PIDs: a second np up must change neither. */
    const fingerprint = (name: string) =>
      sh(
        name,
        "find /etc/consul.d /etc/nomad.d /etc/traefik /etc/openobserve /etc/np-agent /etc/systemd/system -maxdepth 2 -type f -printf '%p %T@\\n' 2>/dev/null | sort; " +
          "systemctl show -p MainPID --value consul.service nomad.service np-agent.service",
      );
    /**
     * Plain Consul RPC to node1 from node4: a Status.Ping in msgpack-rpc after the byte 0x00 (RPCConsul; net/rpc's
     * Request {ServiceMethod, Seq}, an empty body). "answered" when the server replies, "closed" when it refuses.
     */
    const plainRpc = () => {
      const ping = Buffer.concat([
        Buffer.from([0x00, 0x82, 0xad]),
        Buffer.from("ServiceMethod"),
        Buffer.from([0xab]),
        Buffer.from("Status.Ping"),
        Buffer.from([0xa3]),
        Buffer.from("Seq"),
        Buffer.from([0x00, 0x80]),
      ]);
      const octal = [...ping].map((b) => `\\${b.toString(8).padStart(3, "0")}`).join("");
      const script =
        'exec 3<>/dev/tcp/"$1"/8300 && printf "$2" >&3 && n=$(timeout 5 head -c 1 <&3 | wc -c) && ' +
        'if [ "$n" -gt 0 ]; then echo answered; else echo closed; fi';
      const r = onNode("node4", ["bash", "-c", script, "bash", addr("node1"), octal]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    };

    /** GET / through an edge with the app's Host header, as a visitor does. */
    const visit = (edge: string) => visitEdge(addr(edge), HOST, "/", 5000);

    /** Autopilot's health on the first server that answers, read on the node with curl (the token once np has one). */
    /**
     * Nomad's autopilot health on the first server that answers, read on the node with curl: over HTTPS with the
     * node's agent certificate and np's management token once the server has TLS, else over plain HTTP.
     */
    const readNomadQuorumOnNodes = async (): Promise<QuorumReading> => {
      const script =
        'a="$1"; t="$2"; tls="--cacert /etc/nomad.d/tls/ca.pem $3"; ' +
        // Without -f: autopilot answers 429 with its reading while a server is unhealthy, and that reading counts.
        'q() { curl -s -m 3 $tls -H "X-Nomad-Token: $t" "https://$a:4646$1" || curl -s -m 3 "http://$a:4646$1"; }; ' +
        "q /v1/status/leader && echo && q /v1/operator/autopilot/health";
      let last = "no server answered";
      for (const s of SERVERS) {
        const r = await sshToNodeAsync(
          addr(s),
          ["sh", "-c", script, "sh", addr(s), nomadManagement(), NOMAD_AGENT_CERT],
          { keyFile: sbx.keyFile, timeoutMs: 15_000 },
        );
        const [leader, ...health] = r.stdout.trim().split("\n");
        if (r.code !== 0 || !leader) {
          last = `${s}: curl exited ${r.code}`;
          continue;
        }
        try {
          return quorumReading(leader, health.join("\n"));
        } catch {
          // An answer that is no reading ("No cluster leader", a forward that failed, 403 before the bootstrap).
          last = `${s}: ${r.stdout.trim().slice(0, 120)}`;
        }
      }
      throw new Error(last);
    };

    const readQuorumOnNodes = async (): Promise<QuorumReading> => {
      const script =
        'curl -sf -m 3 -H "X-Consul-Token: $1" http://127.0.0.1:8500/v1/status/leader && echo && ' +
        // Without -f: autopilot answers 429 with its reading while a server is unhealthy, and that reading counts.
        'curl -s -m 3 -H "X-Consul-Token: $1" http://127.0.0.1:8500/v1/operator/autopilot/health';
      let last = "no server answered";
      for (const s of SERVERS) {
        const r = await sshToNodeAsync(addr(s), ["sh", "-c", script, "sh", management()], {
          keyFile: sbx.keyFile,
          timeoutMs: 15_000,
        });
        const [leader, ...health] = r.stdout.trim().split("\n");
        if (r.code !== 0 || !leader) {
          last = `${s}: curl exited ${r.code}`;
          continue;
        }
        return quorumReading(leader, health.join("\n"));
      }
      throw new Error(last);
    };

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: 5, subnet: SUBNET }, work);
      sbx = site.sbx;
      earlierNp = buildEarlierNp(path.join(work, "earlier-np"));
      writeFileSync(
        invFile,
        stringify({
          cluster: { name: "mig", datacenter: "dc1" },
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
      const up = await np(["up"], { bin: earlierNp });
      expect(up.code, up.stdout + up.stderr).toBe(0);
      // The earlier np's Consul: gossip encryption only (no TLS, no ACLs); its Nomad: plain HTTP, no ACLs.
      expect(sh("node1", "grep -cE 'verify_|acl|tls' /etc/consul.d/consul.hcl || true")).toBe("0");
      expect(sh("node1", "grep -cE 'acl|tls' /etc/nomad.d/nomad.hcl || true")).toBe("0");
      expect(plainRpc()).toBe("answered");
      expect(sh("node4", 'curl -s -m 5 "http://$1:4646/v1/status/leader"', addr("node1"))).toMatch(/:4647"$/);
      writeFileSync(
        path.join(work, "np.yaml"),
        `name: hello
command: /usr/local/lib/np/node
args: ["-e", ${JSON.stringify(APP)}]
count: 2
cpu: 50
memory: 64
env: { VERSION: v1 }
health_check: { path: /health, interval: 1s, timeout: 1s }
domains: [${HOST}]
update: { min_healthy_time: 1s, healthy_deadline: 5s, progress_deadline: 15s }
`,
      );
      const deploy = await np(["deploy"], { bin: earlierNp });
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      for (const e of EDGES) expect(await visit(e), e).toEqual({ status: 200, body: "hello v1" });
    }, 1_500_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("np plan lists the migration: one line per step per host, in the order np up takes them; changes nothing", async () => {
      const before = configHashes();
      const r = await np(["plan"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const out = r.stdout + r.stderr;
      expect(out).toMatch(/Consul: this cluster is at stage "gossip" of np's migration to TLS and ACLs/);
      expect(out).toMatch(/Nomad: this cluster is at stage "plain" of np's migration to TLS and ACLs/);
      const lines = [...out.matchAll(/^ {4}(\d)\/7 (\S+ \S+) +(node\d)(?: \(server\))? +(.+)$/gm)].map(
        (m) => `${m[1]} ${m[2]} ${m[3]} ${/^write \S+, restart/.test(m[4] ?? "") ? "restart" : m[4]}`,
      );
      const expected = STEPS.flatMap((step, i) =>
        NODES.map(
          (n) =>
            `${i + 1} ${step} ${n} ` +
            (UNCHANGED.has(`${step} ${n}`)
              ? `${step.split(" ")[0]}.hcl unchanged at this step, no restart`
              : "restart"),
        ),
      );
      expect(lines).toEqual(expected);
      expect(out).toMatch(/^ {4}6\/7 nomad secure +then: bootstrap Nomad's ACLs with np's saved secret/m);
      // Its writes and restarts are listed per host too; none was made.
      expect(out).toMatch(/restart consul \(security migration step 1\/7, consul tls-accept\)/);
      expect(out).toMatch(/restart nomad \(security migration step 4\/7, nomad tls-upgrade\)/);
      expect(configHashes()).toEqual(before);
      // np holds the cluster CA now, the servers serve no HTTPS yet: np status reads them over plain HTTP.
      expect(existsSync(path.join(work, ".np", "secrets", "cluster-ca.crt"))).toBe(true);
      const status = await np(["status"]);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^Consul: leader \S+, 3 voters, failure tolerance 1, healthy$/m);
    });

    it("np up migrates while a visitor requests the app and np status runs, cut off once and run again: no request fails, quorum kept", async () => {
      let step = "before np up";
      const requests: { status: number; body: string; fellOver: boolean; at: number; edge: string }[] = [];
      /** Every line np up printed, with when: a failed request is shown with what np was doing then. */
      const npLines: { at: number; text: string }[] = [];
      const timed = (child: ChildProcessWithoutNullStreams) => {
        for (const stream of [child.stdout, child.stderr])
          stream.on("data", (c: Buffer) => {
            for (const text of c.toString().split("\n"))
              if (text.trim()) npLines.push({ at: Date.now(), text });
          });
        return child;
      };
      const statuses: NpResult[] = [];
      let running = true;
      // Visitors reach the edges through a load balancer, as README advises: it checks each edge with the app's URL
      // every 200 ms, takes an edge out when a check or a request gets no answer, and puts it back only once a check
      // is answered by the app again. (Traefik opens its entry points before its Consul catalog provider delivers
      // the first routes: a visitor sent to an edge in the first moment after its restart could get Traefik's 404.)
      // It can only serve while np keeps one edge routing: np restarting both at once fails the requests below.
      const admitted = new Map<string, boolean>(EDGES.map((e) => [e, true]));
      const balancer = { checks: 0, passed: 0, takenOut: 0 };
      const setAdmitted = (edge: string, ok: boolean) => {
        if (admitted.get(edge) && !ok) balancer.takenOut++;
        admitted.set(edge, ok);
      };
      const balancerChecks = EDGES.map(async (edge) => {
        while (running) {
          const c = await visit(edge);
          const ok = c.status === 200 && c.body === "hello v1";
          balancer.checks++;
          if (ok) balancer.passed++;
          setAdmitted(edge, ok);
          await wait(200);
        }
      });
      const visitor = (async () => {
        for (let i = 0; running; i++) {
          const order = i % 2 === 0 ? EDGES : [...EDGES].reverse();
          const [first, other] = [
            ...order.filter((e) => admitted.get(e)),
            ...order.filter((e) => !admitted.get(e)),
          ];
          let r = await visit(first as string);
          const fellOver = r.status === 0;
          if (fellOver) {
            setAdmitted(first as string, false);
            r = await visit(other as string);
          }
          requests.push({ ...r, fellOver, at: Date.now(), edge: (fellOver ? other : first) as string });
          await wait(100);
        }
      })();
      const status = (async () => {
        // As an operator watching: a run every 2 s. One that hangs is cut after 3 minutes (exit -1): it fails the
        // assertions below with its output.
        while (running) {
          statuses.push(await runNpAsync(["status", "-i", invFile], { cwd: work, timeoutMs: 180_000 }));
          await wait(2000);
        }
      })();
      const sampler = new QuorumSampler(readQuorumOnNodes, () => step, 2, 500);
      sampler.start();
      const nomadSampler = new QuorumSampler(readNomadQuorumOnNodes, () => step, 2, 500);
      nomadSampler.start();
      // The first np up is cut off (Ctrl-C) while the first server of Nomad's first step is stopped (its nomad.hcl
      // of that step written, its start not yet made), or 20 s after that file appeared should the stop never be
      // caught; a second np up goes on from where each host stands (and starts a server left stopped first).
      const child = timed(
        spawn(nodeBin, [npBin, "up", "-i", invFile], { cwd: work, env: { ...process.env, NO_COLOR: "1" } }),
      );
      const cutRun = collectOutput(child);
      const probe =
        "grep -q rpc_upgrade_mode /etc/nomad.d/nomad.hcl || exit 0; systemctl is-active -q nomad && echo written || echo stopped";
      let cutAt = "";
      let cutWhileStopped = false;
      let writtenSince = 0;
      for (const end = Date.now() + 1_200_000; !cutAt && child.exitCode === null && Date.now() < end; ) {
        const seen = await Promise.all(
          SERVERS.map((s) =>
            sshToNodeAsync(addr(s), ["sh", "-c", probe], { keyFile: sbx.keyFile, timeoutMs: 15_000 }).then(
              (r) => [s, r.stdout.trim()] as const,
            ),
          ),
        );
        const caught = seen.find(([, what]) => what === "stopped");
        if (caught) {
          cutAt = caught[0];
          cutWhileStopped = true;
        } else if (seen.some(([, what]) => what === "written")) {
          writtenSince ||= Date.now();
          if (Date.now() - writtenSince > 20_000) cutAt = seen.find(([, w]) => w === "written")?.[0] ?? "";
        }
        if (!cutAt) await wait(200);
      }
      if (cutAt) child.kill("SIGINT");
      const first = await cutRun;
      step = "np up again";
      const r = await collectOutput(
        timed(
          spawn(nodeBin, [npBin, "up", "-i", invFile], { cwd: work, env: { ...process.env, NO_COLOR: "1" } }),
        ),
      );
      step = "after np up";
      await wait(5000);
      running = false;
      await Promise.all([visitor, ...balancerChecks, status, sampler.stop(), nomadSampler.stop()]);
      const failed = requests.filter((x) => x.status !== 200 || x.body !== "hello v1");
      for (const f of failed.slice(0, 5))
        console.log(
          `migrate e2e: ${new Date(f.at).toISOString()} ${f.edge} answered ${f.status}; np's last lines before:\n` +
            npLines
              .filter((l) => l.at <= f.at && l.at > f.at - 15_000)
              .slice(-12)
              .map((l) => `  ${new Date(l.at).toISOString()} ${l.text}`)
              .join("\n"),
        );
      const f0 = failed[0];
      if (f0) {
        const since = new Date(f0.at - 20_000).toISOString().slice(0, 19).replace("T", " ");
        const until_ = new Date(f0.at + 3000).toISOString().slice(0, 19).replace("T", " ");
        const j = onNode(f0.edge, [
          "sh",
          "-c",
          'journalctl -u traefik -u consul --since "$1" --until "$2" --no-pager -o short-iso | tail -40',
          "sh",
          since,
          until_,
        ]);
        console.log(`migrate e2e: ${f0.edge}'s traefik and consul around the first failure:\n${j.stdout}`);
      }
      const codes = new Map<number, number>();
      for (const x of statuses) codes.set(x.code, (codes.get(x.code) ?? 0) + 1);
      const byCode = [...codes].map(([code, n]) => `${n} exited ${code}`);
      const odd = statuses.find((x) => x.code !== 0 && !/is degraded/.test(x.stderr));
      console.log(
        `migrate e2e: ${requests.length} requests (${failed.length} failed), ${requests.filter((x) => x.fellOver).length} refused by a restarting edge and answered by the other, the balancer's checks ${balancer.passed} of ${balancer.checks} answered by the app, an edge taken out ${balancer.takenOut} times; ` +
          `Consul: ${sampler.reads} quorum readings, longest without a settled leader ${sampler.maxUnsettledMs} ms, brief dips below a majority: ${sampler.briefDips.join("; ") || "none"}; ` +
          `Nomad: ${nomadSampler.reads} quorum readings, longest without a settled leader ${nomadSampler.maxUnsettledMs} ms (${nomadSampler.longUnsettled.join("; ")}); ` +
          `np status: ${byCode.join(", ")}${odd ? `; one of them: ${(odd.stdout + odd.stderr).slice(-600)}` : ""}`,
      );
      const stopped = (first.stdout + first.stderr).split("\n").filter((l) => /^(error|hint):/.test(l));
      const started = (r.stdout + r.stderr).split("\n").filter((l) => /is stopped: starting it/.test(l));
      console.log(
        `migrate e2e: the first np up was cut at ${cutAt}'s Nomad move (${cutWhileStopped ? "while it was stopped" : "after its file was written"}): ${stopped.join(" ")}; the second: ${started.join(" ") || "no server was left stopped"}`,
      );
      expect(cutAt, "Nomad's first step never began in the first np up").not.toBe("");
      expect(first.code, first.stdout + first.stderr).not.toBe(0);
      expect(first.stderr).toMatch(/interrupted/);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      if (cutWhileStopped) expect(started.join(" ")).toContain(`${cutAt}: nomad is stopped: starting it`);
      for (const [i, stage] of STEPS.entries())
        expect(first.stdout + first.stderr + r.stdout + r.stderr).toContain(
          `security migration step ${i + 1}/7, ${stage}`,
        );
      expect(failed.slice(0, 5)).toEqual([]);
      expect(requests.length).toBeGreaterThan(100);
      // The balancer really checked, and really saw the edges restart (each edge's Traefik restarts once).
      expect(balancer.passed).toBeGreaterThan(100);
      expect(balancer.takenOut).toBeGreaterThanOrEqual(EDGES.length);
      expect(sampler.noMajority).toEqual([]);
      expect(sampler.reads).toBeGreaterThan(20);
      expect(sampler.maxUnsettledMs, sampler.longUnsettled.join("; ")).toBeLessThan(30_000);
      expect(nomadSampler.noMajority).toEqual([]);
      expect(nomadSampler.reads).toBeGreaterThan(20);
      expect(nomadSampler.maxUnsettledMs, nomadSampler.longUnsettled.join("; ")).toBeLessThan(30_000);
      // np status ran throughout: each run printed the cluster's state (healthy, or degraded while a server
      // restarts) and exited 0 or 1, never with an error of np's own.
      expect(statuses.length).toBeGreaterThan(2);
      for (const s of statuses) {
        expect([0, 1], s.stdout + s.stderr).toContain(s.code);
        expect(s.stdout + s.stderr).toMatch(/^HOST\s+ROLES\s+CONSUL/m);
      }
      expect(statuses.filter((s) => /^Consul: leader \d/m.test(s.stdout)).length).toBeGreaterThan(
        statuses.length / 2,
      );
    }, 1_500_000);

    it("afterwards Consul is secure: anonymous reads denied, plain RPC refused", async () => {
      for (const n of ["node1", "node4"]) {
        expect(sh(n, "curl -s http://127.0.0.1:8500/v1/catalog/nodes"), n).toBe("[]");
        expect(sh(n, "curl -s http://127.0.0.1:8500/v1/health/service/hello"), n).toBe("[]");
        expect(
          sh(n, "curl -s -o /dev/null -w '%{http_code}' -X PUT -d x http://127.0.0.1:8500/v1/kv/intruder"),
          n,
        ).toBe("403");
      }
      // With the management token the same reads see everything: the assertions above can fail.
      const withToken = (path_: string) =>
        JSON.parse(
          sh("node4", `curl -s -H "X-Consul-Token: $1" http://127.0.0.1:8500${path_}`, management()),
        );
      expect(withToken("/v1/catalog/nodes")).toHaveLength(5);
      expect(withToken("/v1/health/service/hello?passing=1")).toHaveLength(2);
      // The HTTP API is on loopback only; plain RPC is refused (the earlier np's servers accepted it).
      expect(
        onNode("node4", ["curl", "-s", "-m", "5", `http://${addr("node1")}:8500/v1/status/leader`]).code,
      ).toBe(7);
      expect(plainRpc()).toBe("closed");
    });

    it("afterwards Nomad is secure: plain HTTP refused, a request without a token 403, np's token reads", () => {
      for (const n of ["node1", "node4"]) {
        const a = addr(n);
        // Go's answer to plain HTTP on a TLS port (the earlier np's Nomad answered it).
        expect(sh("node5", 'curl -s -m 5 "http://$1:4646/v1/status/leader"', a), n).toContain(
          "Client sent an HTTP request to an HTTPS server",
        );
        expect(sh(n, `${nomadCurl(a, "/v1/jobs", `${NOMAD_AGENT_CERT} -w ' %{http_code}'`)}`), n).toBe(
          "Permission denied 403",
        );
      }
      // With np's management token the same read sees the app: the assertion above can fail.
      const jobs = JSON.parse(sh("node1", nomadCurlAsNp(work, addr("node1"), "/v1/jobs"))) as {
        ID: string;
      }[];
      expect(jobs.map((j) => j.ID)).toContain("hello");
      // nomad.hcl is a fresh cluster's: no rpc_upgrade_mode left, ACLs on.
      for (const n of NODES) {
        expect(sh(n, "grep -c rpc_upgrade_mode /etc/nomad.d/nomad.hcl || true"), n).toBe("0");
        expect(sh(n, "grep -A1 '^acl {' /etc/nomad.d/nomad.hcl"), n).toContain("enabled = true");
      }
    });

    it("then np plan has nothing to do, np status and np deploy work, and a second np up changes nothing", async () => {
      const plan = await np(["plan"]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/no changes: cluster mig matches the inventory/);
      const status = await np(["status"]);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^Nomad: leader \S+, 3 voters, failure tolerance 1, healthy$/m);
      for (const e of EDGES) expect(await visit(e), e).toEqual({ status: 200, body: "hello v1" });
      // np deploy with np's app token: a new version rolls out behind both edges.
      writeFileSync(
        path.join(work, "np.yaml"),
        readFileSync(path.join(work, "np.yaml"), "utf8").replace("VERSION: v1", "VERSION: v2"),
      );
      const deploy = await np(["deploy"]);
      expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
      const app = await np(["status", "hello"]);
      expect(app.code, app.stdout + app.stderr).toBe(0);
      // The old instances leave the edges' routes after their shutdown delay: both edges serve v2 soon, and every
      // answer meanwhile is a 200 of one version or the other.
      const seen: { status: number; body: string }[] = [];
      for (const e of EDGES) {
        const end = Date.now() + 60_000;
        let r = await visit(e);
        for (; r.body !== "hello v2" && Date.now() < end; r = await visit(e)) {
          seen.push(r);
          await wait(500);
        }
        expect(r, e).toEqual({ status: 200, body: "hello v2" });
      }
      expect(seen.filter((x) => x.status !== 200 || x.body !== "hello v1")).toEqual([]);
      const before = NODES.map(fingerprint);
      const up = await np(["up"]);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect(up.stdout).toMatch(/is up to date: nothing changed/);
      expect(NODES.map(fingerprint)).toEqual(before);
    });
  },
);
