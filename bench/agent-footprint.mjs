#!/usr/bin/env node
/**
 * np-agent's footprint: printed, never gating. Runs the BUILT agent (`npm run build` first) idle for a minute
 * beside a real Consul 1.8.7 dev agent (test/tools/fetch-consul.sh) and an OpenObserve ingest stand-in, at the
 * production interval (10 s), and prints its resident memory (VmRSS, peak VmHWM, and the anonymous/file split,
 * from /proc/<pid>/status) and its CPU use in % of one core (utime+stime from /proc/<pid>/stat over the minute).
 * Runs it twice: with the node flags of templates/np-agent.service.hbs's ExecStart (the unit np installs), and with none; and a bare node
 * http server as the floor. After each idle minute, a burst of 200,000 log lines: time to ship, CPU, peak memory. Usage: node bench/agent-footprint.mjs   (NP_BENCH_SECONDS=60 by default)
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bundle = path.join(root, "dist", "agent", "np-agent.mjs");
const consulBinary = process.env.NP_TEST_CONSUL ?? "/var/cache/np-test/consul-1.8.7/consul";
const seconds = Number(process.env.NP_BENCH_SECONDS ?? 60);
const work = mkdtempSync(path.join(os.tmpdir(), "np-agent-bench-"));
const TICKS = 100; // USER_HZ (getconf CLK_TCK): /proc/<pid>/stat counts CPU time in 1/100 s on Linux
const children = [];

const unitFlags = () => {
  const line = readFileSync(path.join(root, "templates", "np-agent.service.hbs"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("ExecStart="));
  return (line ?? "").split(/\s+/).filter((w) => w.startsWith("--"));
};

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const nomadDir = (name) => path.join(work, `${name}-nomad`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile") };
}

function cpuTicks(pid) {
  // Fields after the ")" of the command name: utime is the 14th field of the line, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** Samples a process for `seconds` after a warm-up; returns figures. */
async function measure(pid, warmupMs = 5000) {
  await sleep(warmupMs);
  const t0 = cpuTicks(pid);
  const w0 = process.hrtime.bigint();
  let maxRss = 0;
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    maxRss = Math.max(maxRss, status(pid).rss);
  }
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  const cpu = ((cpuTicks(pid) - t0) / TICKS / wallS) * 100;
  return { ...status(pid), maxRss, cpu };
}

const mb = (kb) => `${(kb / 1024).toFixed(1)} MB`;
const print = (name, m) =>
  console.log(
    `${name.padEnd(34)} RSS ${mb(m.rss)} (max ${mb(m.maxRss)}, peak VmHWM ${mb(m.hwm)}; anon ${mb(m.anon)} + file ${mb(m.file)})  CPU ${m.cpu.toFixed(2)}% of one core`,
  );

async function main() {
  const ports = {
    http: await freePort(),
    lan: await freePort(),
    wan: await freePort(),
    server: await freePort(),
  };
  const consul = spawn(
    consulBinary,
    [
      "agent",
      "-dev",
      "-bind",
      "127.0.0.1",
      "-client",
      "127.0.0.1",
      `-http-port=${ports.http}`,
      `-serf-lan-port=${ports.lan}`,
      `-serf-wan-port=${ports.wan}`,
      `-server-port=${ports.server}`,
      "-dns-port=-1",
      "-grpc-port=-1",
    ],
    { stdio: "ignore" },
  );
  children.push(consul);
  // OpenObserve ingest stand-in (accepts every batch the way OpenObserve answers it) and, on the same port, the
  // Nomad allocations endpoint (an empty list).
  const ingested = {};
  const oo = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      if (req.method === "GET") return res.end("[]");
      const stream = req.url.split("/")[3];
      const n = JSON.parse(body).length;
      ingested[stream] = (ingested[stream] ?? 0) + n;
      res.end(JSON.stringify({ code: 200, status: [{ name: stream, successful: n, failed: 0 }] }));
    });
  });
  await new Promise((r) => oo.listen(0, "127.0.0.1", r));
  await sleep(3000);

  const run = async (name, flags) => {
    const port = await freePort();
    const config = path.join(work, `${name}.json`);
    mkdirSync(path.join(nomadDir(name), "client"), { recursive: true });
    writeFileSync(path.join(nomadDir(name), "client", "client-id"), "f7476465-4d6e-c0de-26d0-e383c49be941");
    writeFileSync(
      config,
      JSON.stringify({
        node: "bench",
        roles: ["server", "client"],
        datacenter: "dc1",
        listen: { address: "127.0.0.1", port },
        intervalSec: 10,
        stateDir: path.join(work, name),
        consul: { address: `http://127.0.0.1:${ports.http}`, token: null },
        nomad: { address: `http://127.0.0.1:${oo.address().port}`, token: null, dataDir: nomadDir(name) },
        openobserve: {
          url: `http://127.0.0.1:${oo.address().port}`,
          org: "default",
          user: "u",
          password: "p",
        },
        units: ["consul", "nomad", "np-agent"],
        versions: { "np-agent": "bench" },
        disks: ["/"],
        streams: { metrics: "np_node_metrics", logs: "nomad_logs", journal: "np_journal" },
      }),
    );
    const p = spawn(process.execPath, [...flags, bundle, config], { stdio: "ignore" });
    children.push(p);
    const m = await measure(p.pid);
    print(`${name} [${flags.join(" ") || "no flags"}]`, m);
    await burst(name, p.pid);
    p.kill("SIGTERM");
  };

  // A burst: 200,000 log lines (~20 MB) appear at once in an allocation's log; time until all are ingested.
  const burst = async (name, pid) => {
    const lines = 200_000;
    const logs = path.join(nomadDir(name), "alloc", "5fc98185-17ff-26bc-a802-0c74fa471c99", "alloc", "logs");
    mkdirSync(logs, { recursive: true });
    const text = Array.from(
      { length: lines },
      (_, i) => `${new Date(0).toISOString()} GET /item/${i} 200 ${"x".repeat(60)}`,
    );
    const before = ingested.nomad_logs ?? 0;
    const t0 = cpuTicks(pid);
    const w0 = Date.now();
    writeFileSync(path.join(logs, "web.stdout.0"), `${text.join("\n")}\n`);
    while ((ingested.nomad_logs ?? 0) - before < lines && Date.now() - w0 < 600_000) await sleep(200);
    const s = (Date.now() - w0) / 1000;
    const cpuS = (cpuTicks(pid) - t0) / TICKS;
    const st = status(pid);
    console.log(
      `${"".padEnd(34)} burst: ${(ingested.nomad_logs ?? 0) - before} of ${lines} lines ingested in ${s.toFixed(1)} s (intervals of 10 s), ${cpuS.toFixed(2)} s of CPU; peak VmHWM ${mb(st.hwm)}, RSS after ${mb(st.rss)}`,
    );
  };

  console.log(
    `np-agent footprint, idle at a 10 s interval with Consul 1.8.7, ${seconds} s each (${process.version})`,
  );
  const floor = spawn(
    process.execPath,
    ["-e", "require('node:http').createServer().listen(0, '127.0.0.1')"],
    {
      stdio: "ignore",
    },
  );
  children.push(floor);
  print("floor: node with an http server", await measure(floor.pid, 2000));
  floor.kill();
  await run("np-agent (unit flags)", unitFlags());
  await run("np-agent", []);
  console.log(
    `records ingested by the stand-in: ${JSON.stringify(ingested)} (no journal on this host: journalctl finds none)`,
  );
}

try {
  await main();
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
}
