#!/usr/bin/env node
/**
 * np's benchmarks: printed, never gating. They run the built np (`npm run build` first) against sandbox nodes,
 * so they need what the end-to-end tests need: Linux, root, systemd-nspawn, debootstrap, and the real Consul
 * 1.8.7 (test/tools/fetch-consul.sh). Usage: npm run bench
 *
 * - np check on 5 and on 10 nodes: wall time (median of 3) and SSH connections per host, counted by each node's
 *   sshd (target: 1 per host; 5 nodes under 2 s; 10 nodes within 1.3x of 5).
 * - np up, fresh, on 3 and on 6 nodes, and a no-op re-run on 6: wall time, the 6/3 ratio (target <= 1.3) and
 *   the SSH round trips per host np reports with --verbose (target for the no-op: under 1 s, timed without -v, the
 *   median of 7 runs on the 6-node cluster 30 s after it formed, the 3-node one stopped; then 7 more once
 *   np-agent's idle minute below is over, the cluster ~2 minutes old: both medians are printed).
 * - np-agent on a sandbox client under systemd, idle for a minute: resident memory and CPU (target: < 50 MB, < 1% of
 *   one core), beside a bare Node http server on the same node's runtime (the floor).
 * Start-up times (no sandbox needed): bench/startup.mjs, `npm run bench:startup`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const np = path.join(root, "dist", "cli", "main.js");
const NAME = "npbench";
const SUBNET = "10.213.40.0/24";
const SETTLE_S = 30;
const work = mkdtempSync(path.join(os.tmpdir(), "np-bench-"));

function run(args, { quiet = true } = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [np, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!quiet || r.status !== 0) process.stderr.write(r.stdout + r.stderr);
  return { code: r.status, ms, stdout: r.stdout, stderr: r.stderr };
}

// Sandbox nodes get new host keys with every sandbox: the benchmark's own ssh and scp do not pin them.
const openssh = (keyFile) => [
  "-i",
  keyFile,
  "-o",
  "StrictHostKeyChecking=no",
  "-o",
  "UserKnownHostsFile=/dev/null",
  "-o",
  "LogLevel=ERROR",
  "-o",
  "BatchMode=yes",
];

function ssh(keyFile, address, script) {
  return spawnSync("ssh", [...openssh(keyFile), `root@${address}`, script], {
    encoding: "utf8",
  }).stdout.trim();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;

function inventory(file, hosts, keyFile, extra = {}) {
  writeFileSync(
    file,
    stringify({ cluster: { name: "bench" }, ssh: { user: "root", key: keyFile }, hosts, ...extra }),
  );
  return file;
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error("the benchmarks start sandbox nodes: run them as root");
  const up = run(["sandbox", "down", "--name", NAME]);
  void up;
  const started = run([
    "sandbox",
    "up",
    "--name",
    NAME,
    "--nodes",
    "10",
    "--subnet",
    SUBNET,
    "--out",
    path.join(work, "sandbox.yaml"),
  ]);
  if (started.code !== 0) throw new Error("np sandbox up failed");
  try {
    const status = JSON.parse(run(["sandbox", "status", "--name", NAME, "--json"]).stdout);
    const key = status.keyFile;
    const addr = Object.fromEntries(status.nodes.map((n) => [n.name, n.address]));
    const host = (name, roles) => ({ name, address: addr[name], roles });

    // --- np check: 5 vs 10 nodes
    const five = [
      host("node1", ["server"]),
      host("node2", ["server"]),
      host("node3", ["server"]),
      host("node4", ["client", "edge"]),
      host("node5", ["client", "observe"]),
    ];
    const ten = [...five, ...["node6", "node7", "node8", "node9", "node10"].map((n) => host(n, ["client"]))];
    const inv5 = inventory(path.join(work, "check5.yaml"), five, key);
    const inv10 = inventory(path.join(work, "check10.yaml"), ten, key);
    run(["check", "-i", inv10]); // pins host keys; warms the page cache
    const logins = () =>
      Object.fromEntries(
        ten.map((h) => [
          h.name,
          Number(ssh(key, h.address, "journalctl -u ssh -o cat --no-pager | grep -c 'Accepted publickey'")),
        ]),
      );
    const before = logins();
    const t5 = [1, 2, 3].map(() => run(["check", "-i", inv5]).ms);
    const t10 = [1, 2, 3].map(() => run(["check", "-i", inv10]).ms);
    const after = logins();
    // Each node saw 3 or 6 np check runs plus the one login that counts: connections per run per host.
    const perHost = ten.map((h) => (after[h.name] - before[h.name] - 1) / (five.includes(h) ? 6 : 3));

    // --- np up: fresh 3 nodes, fresh 6 nodes, no-op on 6
    // The whole stack (real Consul and Node.js; the Nomad, Traefik and OpenObserve test doubles).
    const { buildStackMirror, STACK_VERSIONS } = await import("../test/helpers/stack-mirror.ts");
    const mirror = await buildStackMirror(path.join(work, "mirror"));
    const artifacts = { source: "dir", dir: mirror.dir, trusted_keys: [mirror.keyPath] };
    const versions = STACK_VERSIONS;
    const cache = path.join(work, "cache");
    const env = { NP_CACHE_DIR: cache };
    Object.assign(process.env, env);
    const three = [
      host("node1", ["server", "client", "edge"]),
      host("node2", ["server", "client"]),
      host("node3", ["server", "observe"]),
    ];
    const six = [
      host("node4", ["server"]),
      host("node5", ["server"]),
      host("node6", ["server"]),
      host("node7", ["client", "edge"]),
      host("node8", ["client", "observe"]),
      host("node9", ["client"]),
    ];
    // Each cluster its own folder: .np/ (beside the inventory) holds a cluster's CA and ACL tokens.
    for (const d of ["up3", "up6"]) mkdirSync(path.join(work, d));
    const up3 = inventory(path.join(work, "up3", "inventory.yaml"), three, key, { versions, artifacts });
    const up6 = inventory(path.join(work, "up6", "inventory.yaml"), six, key, { versions, artifacts });
    run(["artifacts", "fetch", "-i", up3, "--dir", path.join(work, "fetched")]); // fills the download cache for both
    const fresh3 = run(["up", "-v", "-i", up3]);
    // The 3-node cluster stops before the 6-node one forms: the 6-node runs share this machine's CPUs with their
    // own nodes only, as on six machines of their own they would share with nothing.
    for (const h of three)
      ssh(key, addr[h.name], "systemctl stop np-agent traefik openobserve nomad consul 2>/dev/null; true");
    const fresh6 = run(["up", "-v", "-i", up6]);
    // A no-op is a re-run on a cluster at rest: it runs once the new cluster has settled (its agents started,
    // Consul's anti-entropy and the first reports done) for SETTLE_S.
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    // Timed as a user runs it: -v turns on source-mapped stack traces, whose maps cost ~0.1 s to read.
    const noop6 = [1, 2, 3, 4, 5, 6, 7].map(() => run(["up", "-i", up6]));
    const noop6Verbose = run(["up", "-v", "-i", up6]);
    // np-agent's footprint on a sandbox node as systemd runs it (its journal, Nomad over TLS, OpenObserve), idle
    // for a minute after the runs above; beside it, the floor: a bare http server on the same node's runtime.
    const agentNode = addr.node9;
    const sample = (unit) =>
      ssh(
        key,
        agentNode,
        `pid=$(systemctl show -p MainPID --value ${unit}); t=$(cut -d' ' -f14,15 /proc/$pid/stat); ` +
          `echo "$(grep -E '^(VmRSS|RssAnon|RssFile):' /proc/$pid/status | tr -s ' \\t\\n' ' ') ticks $t"`,
      );
    const footprint = (before, after, seconds) => {
      const kb = (line, k) => Number(line.match(new RegExp(`${k}: (\\d+)`))?.[1]) / 1024;
      const ticks = (line) =>
        (line.match(/ticks (\d+) (\d+)/)?.slice(1) ?? []).reduce((a, b) => a + Number(b), 0);
      const cpu = ((ticks(after) - ticks(before)) / 100 / seconds) * 100;
      return `${kb(after, "VmRSS").toFixed(1)} MB (anon ${kb(after, "RssAnon").toFixed(1)} + file ${kb(after, "RssFile").toFixed(1)}), CPU ${cpu.toFixed(2)}% of one core over ${seconds} s`;
    };
    ssh(
      key,
      agentNode,
      "systemd-run --quiet --unit=np-bench-floor /usr/local/lib/np/node -e " +
        `'require("http").createServer((q, s) => s.end()).listen(0, "127.0.0.1")'`,
    );
    const idle = 60;
    const agentBefore = sample("np-agent");
    const floorBefore = sample("np-bench-floor");
    await new Promise((r) => setTimeout(r, idle * 1000));
    const agent = footprint(agentBefore, sample("np-agent"), idle);
    const floor = footprint(floorBefore, sample("np-bench-floor"), idle);
    ssh(key, agentNode, "systemctl stop np-bench-floor");
    // The same no-op again, on the cluster then older by np-agent's idle minute: Consul's servers are still busy
    // in the first minutes after they form (autopilot, anti-entropy), and both readings are printed.
    const noop6Later = [1, 2, 3, 4, 5, 6, 7].map(() => run(["up", "-i", up6]));

    // Where a no-op run spends its time (np up -v prints each phase's duration).
    const phases = (r) =>
      [...r.stderr.matchAll(/^([A-Za-z][^:\n]*): (\d+) ms$/gm)].map((m) => `${m[1]} ${m[2]}`);
    const trips = (r) =>
      [...r.stderr.matchAll(/^(\S+): (\d+) round trips over 1 SSH connection$/gm)]
        .map((m) => `${m[1]}=${m[2]}`)
        .join(" ");

    const ok = (c) => (c === 0 ? "" : " (FAILED)");
    console.log("\nnp benchmarks (sandbox nodes on this machine; printed, not gating)\n");
    console.log(`np check, 5 nodes:   median ${secs(median(t5))} of 3 runs (target < 2 s)`);
    console.log(
      `np check, 10 nodes:  median ${secs(median(t10))} of 3 runs; 10/5 = ${(median(t10) / median(t5)).toFixed(2)} (target <= 1.3)`,
    );
    console.log(`SSH connections per host per np check: ${[...new Set(perHost)].join(", ")} (target 1)`);
    console.log(
      `np up, fresh, 3 nodes: ${secs(fresh3.ms)}${ok(fresh3.code)}; round trips per host: ${trips(fresh3)}`,
    );
    console.log(
      `np up, fresh, 6 nodes: ${secs(fresh6.ms)}${ok(fresh6.code)}; 6/3 = ${(fresh6.ms / fresh3.ms).toFixed(2)} (target <= 1.3); round trips per host: ${trips(fresh6)}`,
    );
    console.log(
      `np up, no-op, 6 nodes: median ${secs(median(noop6.map((r) => r.ms)))} of ${noop6.length} runs (${noop6.map((r) => r.ms.toFixed(0)).join(", ")} ms; ${SETTLE_S} s after its np up, the 3-node cluster stopped)${ok(noop6.some((r) => r.code !== 0) ? 1 : 0)} (target < 1 s); round trips per host: ${trips(noop6Verbose)}`,
    );
    console.log(
      `np up, no-op, 6 nodes, again after np-agent's idle minute: median ${secs(median(noop6Later.map((r) => r.ms)))} of ${noop6Later.length} runs (${noop6Later.map((r) => r.ms.toFixed(0)).join(", ")} ms)${ok(noop6Later.some((r) => r.code !== 0) ? 1 : 0)} (target < 1 s)`,
    );
    console.log(`np-agent on node9 (a client, idle): ${agent} (target < 50 MB, < 1%)`);
    console.log(`  floor there, a bare node http server on the same runtime: ${floor}`);
    console.log(
      `  where the no-op's time goes (np up -v, ${secs(noop6Verbose.ms)}; ms per phase): ${phases(noop6Verbose).join(", ")}`,
    );
  } finally {
    run(["sandbox", "down", "--name", NAME]);
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  process.exitCode = 1;
});
