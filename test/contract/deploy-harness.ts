// Harness of the deploy contract tests and benchmarks: a Nomad TEST DOUBLE cluster (1 server + 2 clients) on
// loopback with a REAL Consul 1.8.7 dev agent, np's NomadApi/ConsulApi over direct connections (the CLI goes
// through SSH tunnels; everything above the dispatcher is the same code), and an Output that records lines.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "undici";
import { ConsulApi } from "../../src/api/consul.js";
import { NomadApi } from "../../src/api/nomad.js";
import { buildJob } from "../../src/app/build-job.js";
import { resolveAppEnv } from "../../src/app/env.js";
import type { NomadJob } from "../../src/app/job-types.js";
import { parseApp } from "../../src/app/load.js";
import type { AppSpec } from "../../src/app/types.js";
import type { HostOutcomes, LiveLines, Output } from "../../src/output/port.js";
import { startConsulDev } from "../helpers/consul-dev.js";

export const CONSUL_BINARY = "/var/cache/np-test/consul-1.8.7/consul";
const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));

/** Why the double cluster cannot run here (no Consul binary), or null; under CI a missing binary fails. */
export function doubleClusterMissing(): string | null {
  if (existsSync(CONSUL_BINARY)) return null;
  const reason = `${CONSUL_BINARY} is missing (run test/tools/fetch-consul.sh)`;
  if (process.env.CI === "true") throw new Error(reason);
  return reason;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A running double cluster and np's clients of it. */
export interface DoubleCluster {
  nomad: NomadApi;
  consul: ConsulApi;
  consulPort: number;
  serverIp: string;
  stop(): Promise<void>;
}

/**
 * Starts Consul (dev) and the double: a server on `${prefix}.1` and clients `${prefix}.2`, `.3` (node class
 * "web", raw_exec enabled; exec works when run as root). Each test file passes its own loopback prefix.
 */
export async function startDoubleCluster(prefix: string, double = DOUBLE): Promise<DoubleCluster> {
  const root = mkdtempSync(path.join(tmpdir(), "np-deploy-contract-"));
  const procs: ChildProcess[] = [];
  try {
    return await start(prefix, double, root, procs);
  } catch (err) {
    // Nothing started for a failed start may stay behind.
    for (const p of procs) p.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}

async function start(
  prefix: string,
  double: string,
  root: string,
  procs: ChildProcess[],
): Promise<DoubleCluster> {
  const dev = await startConsulDev({ binary: CONSUL_BINARY, dataDir: path.join(root, "consul") });
  procs.push(dev.proc);
  const consulPort = dev.port;
  const serverIp = `${prefix}.1`;
  const agent = (name: string, ip: string, server: boolean) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    const role = server
      ? "server {\n  enabled = true\n  bootstrap_expect = 1\n}\n"
      : `client {\n  enabled = true\n  servers = ["${serverIp}"]\n  node_class = "web"\n}\nplugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}\n`;
    const hcl = `name = "${name}"\ndata_dir = "${dir}/data"\nbind_addr = "${ip}"\n${role}consul {\n  address = "127.0.0.1:${consulPort}"\n}\n`;
    writeFileSync(path.join(dir, "nomad.hcl"), hcl);
    procs.push(
      spawn(process.execPath, [double, "agent", "-config", path.join(dir, "nomad.hcl")], {
        env: { ...process.env, NOMAD_DOUBLE_GOSSIP_MS: "200", NOMAD_DOUBLE_NODE_TTL_MS: "3000" },
        stdio: "ignore",
      }),
    );
  };
  agent("srv", serverIp, true);
  agent("c1", `${prefix}.2`, false);
  agent("c2", `${prefix}.3`, false);
  const dispatcher = new Agent({ connections: 8 });
  const nomad = new NomadApi(`http://${serverIp}:4646`, dispatcher);
  const consul = new ConsulApi(`http://127.0.0.1:${consulPort}`, dispatcher);
  await until("two ready clients", async () => {
    const nodes = await nomad.nodes();
    return nodes.filter((n) => n.Status === "ready").length === 2 || undefined;
  });
  return {
    nomad,
    consul,
    consulPort,
    serverIp,
    async stop() {
      for (const j of await nomad.jobs().catch(() => [])) await nomad.deregister(j.ID, true).catch(() => {});
      await until(
        "no running allocations",
        async () => {
          const r = await fetch(`http://${serverIp}:4646/v1/allocations`);
          const list = (await r.json()) as { ClientStatus: string }[];
          return list.every((a) => a.ClientStatus !== "running") || undefined;
        },
        30_000,
      ).catch(() => undefined);
      for (const p of procs.reverse()) p.kill("SIGKILL");
      await dispatcher.destroy();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The tiny app of the tests: answers /health (500 when HEALTH=bad), prints a line at start and per request. */
export const APP_SCRIPT = [
  'const h=require("http");',
  'const bad=process.env.HEALTH==="bad";',
  'if(bad)console.error("health: refusing on purpose (HEALTH=bad)");',
  'h.createServer((q,s)=>{if(q.url==="/health"){s.statusCode=bad?500:200;s.end(bad?"bad":"ok");return}',
  'console.log("req "+q.url);s.end("hello "+process.env.VERSION)})',
  '.listen(+process.env.NOMAD_PORT_http,process.env.NOMAD_IP_http,()=>console.log("listening alloc "+process.env.NOMAD_ALLOC_ID+" "+process.env.VERSION));',
  'process.on("SIGINT",()=>process.exit(0))',
].join("");

/** np.yaml of the test app, with short health timings so deployments take seconds. */
export function appYaml(name: string, extra = "", count = 2): string {
  return `name: ${name}
command: ${process.execPath}
args: ["-e", ${JSON.stringify(APP_SCRIPT)}]
count: ${count}
cpu: 50
memory: 64
env:
  VERSION: \${VERSION}
  HEALTH: \${HEALTH:-good}
health_check: { path: /health, interval: 1s, timeout: 1s }
update: { min_healthy_time: 1s, healthy_deadline: 5s, progress_deadline: 10s }
shutdown_delay: 0s
${extra}`;
}

/** The app spec and job of an np.yaml text, env resolved from `env`. */
export function appAndJob(yaml: string, env: Record<string, string>): { app: AppSpec; job: NomadJob } {
  const { app } = parseApp(yaml, "np.yaml", env);
  const job = buildJob(
    app,
    { region: "global", datacenters: ["dc1"], acme: false, npVersion: "0.1.0" },
    resolveAppEnv(app, env),
  );
  return { app, job };
}

/** An Output that records every line (live blocks in their plain form), for assertions. */
export class RecordingOutput implements Output {
  readonly json = false;
  readonly verbose = false;
  readonly color = false;
  readonly interactive = false;
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(m);
  }
  warn(m: string): void {
    this.lines.push(`warning: ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error: ${m}`);
  }
  debug(): void {}
  host(name: string, m: string): void {
    this.lines.push(`${name}: ${m}`);
  }
  data(v: unknown): void {
    this.lines.push(JSON.stringify(v));
  }
  paint(_s: string, t: string): string {
    return t;
  }
  hostProgress<T>(): Promise<HostOutcomes<T>> {
    throw new Error("not used by the app commands");
  }
  liveLines(title: string): LiveLines {
    this.lines.push(title);
    const seen = new Set<string>();
    const show = (t: string, lines: readonly string[]) => {
      if (this.lines.at(-1) !== t) this.lines.push(t);
      for (const l of lines) if (!seen.has(l)) seen.add(l) && this.lines.push(`  ${l}`);
    };
    return { update: show, end: async (_ok, t, l) => show(t, l) };
  }
  get text(): string {
    return this.lines.join("\n");
  }
}
