// End to end: np deploy · status · logs · scale · rollback · stop on sandbox nodes (the built np over real SSH),
// one cluster for the whole file: node1 server+client+edge, node2 server+client, node3 server+observe (the
// real Consul 1.8.7, the Nomad, Traefik and OpenObserve doubles). A tiny node HTTP app run by exec, reached
// through the edge with its Host header; assertions on the nodes (ps, Consul's catalog) and on what np prints.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { APP_SCRIPT } from "../contract/deploy-harness.js";
import { consulMissing } from "../helpers/consul-binary.js";
import { visitEdge } from "../helpers/edge-visit.js";
import { installNodeRuntime } from "../helpers/node-runtime.js";
import { nomadCurlAsNp } from "../helpers/nomad-curl.js";
import { nodeBin, npBin, runNpAsync } from "../helpers/run-np.js";
import { canRunSandbox, sshToNode, type TestSandbox } from "../helpers/sandbox.js";
import { type StackSite, startStackSite, stopStackSite } from "../helpers/stack-site.js";

// This file's own sandbox (name, subnet): other e2e files use others.
const NAME = "nptest-dpl";
const SUBNET = "10.213.31.0/24";
const HOST = "hello.np.test";
/** In every instance's command line, so ps can count them. */
const MARKER = "np-e2e-hello";

const skipReason = canRunSandbox() ?? consulMissing();
if (skipReason) console.warn(`skipping test/e2e/deploy.test.ts: ${skipReason}`);

// The contract tests' app: /health (500 with HEALTH=bad, which it also says on stderr), "hello <VERSION>" elsewhere.
const APP = APP_SCRIPT;

/** The e2e app's np.yaml, run by the Node.js at `node` on the clients. */
const appYaml = (node: string) => `# the e2e app
name: hello
command: ${node}
args: ["-e", ${JSON.stringify(APP)}, "${MARKER}"]
count: 2
cpu: 50
memory: 64
env:
  VERSION: \${VERSION}
  HEALTH: \${HEALTH:-good}
health_check: { path: /health, interval: 1s, timeout: 1s }
domains: [${HOST}]
update: { min_healthy_time: 1s, healthy_deadline: 5s, progress_deadline: 15s }
shutdown_delay: 4s
`;

describe.skipIf(skipReason !== null)(
  "np deploy · status · logs · scale · rollback · stop on sandbox nodes",
  { timeout: 240_000 },
  () => {
    let sbx: TestSandbox;
    let site: StackSite | undefined;
    const work = mkdtempSync(path.join(os.tmpdir(), "np-deploy-"));
    const invFile = path.join(work, "inventory.yaml");
    const appFile = path.join(work, "np.yaml");
    const addr = (name: string) => sbx.nodes.find((n) => n.name === name)?.address as string;
    const sh = (name: string, script: string) => {
      const r = sshToNode(addr(name), ["sh", "-c", script], { keyFile: sbx.keyFile });
      expect(r.code, `${name}: ${script}: ${r.stderr}`).toBe(0);
      return r.stdout.trim();
    };
    // A cache of this file's own: np's artifact cache is keyed by version, and other mirrors (other test runs on
    // this machine) hold other builds of the doubles under the same versions.
    const cacheEnv = { NP_CACHE_DIR: path.join(work, "cache") };
    const np = (args: string[], env: Record<string, string> = {}) =>
      runNpAsync([...args, "-i", invFile], { cwd: work, env: { ...cacheEnv, ...env }, timeoutMs: 300_000 });
    /** Instances of the app running on the client nodes, counted with ps (the pattern does not match pgrep's shell). */
    const processes = () =>
      ["node1", "node2"].reduce(
        (n, node) => n + Number(sh(node, `pgrep -fc -- "[${MARKER[0]}]${MARKER.slice(1)}" || true`)),
        0,
      );
    const nomadApi = <T>(p: string): T =>
      JSON.parse(sh("node1", nomadCurlAsNp(work, addr("node1"), p, "-f"))) as T;
    const consulService = () =>
      JSON.parse(
        sh(
          "node1",
          // Consul denies anonymous reads (ACLs, default deny): the management token np keeps.
          `curl -sf -H "X-Consul-Token: ${readFileSync(path.join(work, ".np", "secrets", "consul-management"), "utf8").trim()}" http://127.0.0.1:8500/v1/catalog/service/hello`,
        ),
      ) as unknown[];
    /** GET through the edge (node1's Traefik on :80) with the app's host name, as a visitor would. */
    const visit = (p = "/") => visitEdge(addr("node1"), HOST, p);
    const runningAllocs = () =>
      nomadApi<{ ID: string; NodeName: string; ClientStatus: string; DesiredStatus: string }[]>(
        "/v1/job/hello/allocations",
      ).filter((a) => a.ClientStatus === "running" && a.DesiredStatus === "run");

    beforeAll(async () => {
      site = await startStackSite({ name: NAME, nodes: 3, subnet: SUBNET }, work);
      sbx = site.sbx;
      for (const n of sbx.nodes) installNodeRuntime(n.address, sbx.keyFile);
      writeFileSync(
        invFile,
        stringify({
          cluster: { name: "deploy", datacenter: "dc1" },
          ...site.reach,
          hosts: [
            { name: "node1", address: addr("node1"), roles: ["server", "client", "edge"] },
            { name: "node2", address: addr("node2"), roles: ["server", "client"] },
            { name: "node3", address: addr("node3"), roles: ["server", "observe"] },
          ],
        }),
      );
      const up = await np(["up"]);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      // The Node.js runtime np installs on every host (np-agent's), else the one the harness copied.
      writeFileSync(
        appFile,
        appYaml(
          sh(
            "node1",
            "test -x /usr/local/lib/np/node && echo /usr/local/lib/np/node || echo /usr/local/bin/node",
          ),
        ),
      );
    }, 900_000);

    afterAll(async () => {
      await stopStackSite(NAME, site);
    });

    it("a bad np.yaml: exit 2 with FILE:LINE:COL problems, nothing submitted", async () => {
      const bad = path.join(work, "bad.yaml");
      writeFileSync(bad, "name: hello\nimgae: x\ncount: many\n");
      const r = await np(["deploy", "-f", "bad.yaml"]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^ {2}bad\.yaml:2:1 imgae: unknown key "imgae" \(did you mean "image"\?\)$/m);
      expect(r.stderr).toMatch(/^ {2}bad\.yaml:3:8 count: /m);
      expect(nomadApi<unknown[]>("/v1/jobs")).toEqual([]);
    });

    it("np deploy: the plan, the rollout, the URL; the app answers through the edge with its Host header", async () => {
      const r = await np(["deploy"], { VERSION: "v1", NP_E2E_SECRET: "unused" });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^ {2}\+ job "hello" \(new\)$/m);
      expect(r.stdout).toMatch(/^hello: deployed version 0: 2 of 2 instances healthy$/m);
      expect(r.stdout).toMatch(
        /^hello is live: http:\/\/hello\.np\.test\/ \(\/health answered 200 through node1\)$/m,
      );
      expect(r.stdout + r.stderr).not.toMatch(/\bv1\b/);
      expect(await visit("/")).toEqual({ status: 200, body: "hello v1" });
      expect(processes()).toBe(2);
      const status = await np(["status"]);
      expect(status.code, status.stdout + status.stderr).toBe(0);
      expect(status.stdout).toMatch(
        /^hello\s+0\s+2\s+2\s+2\s+successful \(v0\)\s+http:\/\/hello\.np\.test\/$/m,
      );
    });

    it("a redeploy while requests run: every request answered 200 (shutdown_delay at work)", async () => {
      const results: { status: number; body: string }[] = [];
      let running = true;
      const loop = (async () => {
        const end = Date.now() + 180_000;
        while (running && Date.now() < end) {
          results.push(await visit("/"));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const r = await np(["deploy"], { VERSION: "v2" });
      // A few more requests after the last old instance stopped.
      await new Promise((res) => setTimeout(res, 6000));
      running = false;
      await loop;
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Env\[VERSION\]: \(secret, changed\)/);
      expect(results.length).toBeGreaterThan(50);
      expect(results.filter((x) => x.status !== 200)).toEqual([]);
      expect(new Set(results.map((x) => x.body))).toEqual(new Set(["hello v1", "hello v2"]));
      expect(results.at(-1)?.body).toBe("hello v2");
    });

    it("np scale to 3: three live processes on the client nodes", async () => {
      const r = await np(["scale", "hello", "3"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^hello: scaling from 2 to 3$/m);
      for (let i = 0; i < 30 && processes() !== 3; i++) await new Promise((res) => setTimeout(res, 500));
      expect(processes()).toBe(3);
    });

    it("np logs: lines from all three instances, each prefixed by its allocation and node", async () => {
      const allocs = runningAllocs();
      expect(allocs).toHaveLength(3);
      // The request loop above logged many lines: ask for enough to reach each instance's first one.
      const r = await np(["logs", "hello", "-n", "5000"]);
      expect(r.code, r.stderr).toBe(0);
      for (const a of allocs)
        expect(r.stdout).toContain(`${a.ID.slice(0, 8)} ${a.NodeName} | listening alloc ${a.ID} v2`);
    });

    it("np logs -f shows the lines of a fourth instance started by np scale 4", async () => {
      const before = new Set(runningAllocs().map((a) => a.ID));
      const child: ChildProcess = spawn(nodeBin, [npBin, "logs", "hello", "-f", "-n", "1", "-i", invFile], {
        env: { ...process.env, ...cacheEnv, NO_COLOR: "1" },
      });
      let out = "";
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      try {
        for (let i = 0; i < 100 && out.split("\n").filter(Boolean).length < 3; i++)
          await new Promise((res) => setTimeout(res, 100));
        const r = await np(["scale", "hello", "4"]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        const added = runningAllocs().find((a) => !before.has(a.ID));
        expect(added).toBeDefined();
        const want = `${added?.ID.slice(0, 8)} ${added?.NodeName} | listening alloc ${added?.ID} v2`;
        for (let i = 0; i < 100 && !out.includes(want); i++) await new Promise((res) => setTimeout(res, 100));
        expect(out).toContain(want);
      } finally {
        child.kill("SIGINT");
      }
      // Ctrl-C is how -f ends: not an error.
      const code = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) resolve(child.exitCode);
        else child.on("exit", (c) => resolve(c));
      });
      expect(code).toBe(0);
    });

    it("a deploy whose health path fails: np explains it (events, stderr tail), reports the auto-revert, exit 1", async () => {
      const versionBefore = nomadApi<{ Version: number }>("/v1/job/hello").Version;
      const r = await np(["deploy"], { VERSION: "v2", HEALTH: "bad" });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^ {2}task events:$/m);
      expect(r.stdout).toMatch(
        /^ {2}stderr \(last \d+ lines?\):\n {4}health: refusing on purpose \(HEALTH=bad\)$/m,
      );
      expect(r.stderr).toMatch(
        new RegExp(
          `error: hello: deployment of version ${versionBefore + 1} failed: Failed due to (unhealthy allocations|progress deadline); Nomad is rolling back to version ${versionBefore}`,
        ),
      );
      expect(r.stderr).toMatch(
        new RegExp(
          `Nomad rolled back: version ${versionBefore} runs now \\(registered again as version ${versionBefore + 2}\\)`,
        ),
      );
      expect(await visit("/")).toEqual({ status: 200, body: "hello v2" });
    });

    it("np rollback returns to the previous stable version that runs something else", async () => {
      const before = nomadApi<{ Version: number }>("/v1/job/hello");
      const r = await np(["rollback", "hello"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const m = /^hello: rolling back from version (\d+) to version (\d+)$/m.exec(r.stdout);
      expect(m?.[1]).toBe(String(before.Version));
      const now = nomadApi<{ Version: number; TaskGroups: { Count: number }[] }>("/v1/job/hello");
      expect(now.Version).toBe(before.Version + 1);
      // The auto-revert re-ran np scale 4's version; the previous stable version that differs is np scale 3's.
      expect(now.TaskGroups[0]?.Count).toBe(3);
      expect((await visit("/")).status).toBe(200);
    });

    it("two concurrent np deploy of the same app: one is refused, the other deploys", async () => {
      const [a, b] = await Promise.all([
        np(["deploy"], { VERSION: "v3" }),
        np(["deploy"], { VERSION: "v4" }),
      ]);
      const codes = [a.code, b.code].toSorted();
      expect(codes, a.stdout + a.stderr + b.stdout + b.stderr).toEqual([0, 1]);
      const refused = a.code === 1 ? a : b;
      expect(refused.stderr).toMatch(/error: hello: refused: /);
      const winner = a.code === 0 ? "v3" : "v4";
      // Old instances leave Traefik within its throttle (2 s) of leaving Consul, and answer until then.
      const seen: { status: number; body: string }[] = [];
      for (let i = 0; i < 50 && seen.at(-1)?.body !== `hello ${winner}`; i++) {
        seen.push(await visit("/"));
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(seen.filter((x) => x.status !== 200)).toEqual([]);
      expect(seen.at(-1)?.body).toBe(`hello ${winner}`);
    });

    it("np status APP: the deployment, each instance, events and versions; --json without env values", async () => {
      const r = await np(["status", "hello"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /^hello: version \d+, 2 of 2 healthy, 2 running, http:\/\/hello\.np\.test\/$/m,
      );
      expect(r.stdout).toMatch(/^INSTANCE\s+NODE\s+VERSION\s+STATE\s+DESIRED\s+HEALTH\s+RESTARTS$/m);
      const j = await np(["status", "hello", "--json"]);
      const doc = JSON.parse(j.stdout);
      expect(doc.app.name).toBe("hello");
      expect(j.stdout).not.toMatch(/"Env"|HEALTH|"v3"|"v4"/);
    });

    it("np stop: no process and no Consul service left behind", async () => {
      const r = await np(["stop", "hello"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/hello: stopped: no instance runs, the service left Consul/);
      expect(processes()).toBe(0);
      expect(consulService()).toEqual([]);
      expect((await visit("/")).status).toBe(404);
    });
  },
);
